from pathlib import Path

from deltaedit.factworld.build import make_files
from deltaedit.logs import to_file

to_file(snakemake.log[0])
make_files(snakemake.wildcards.world, Path(snakemake.output.world).parent)
