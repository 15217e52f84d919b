from pathlib import Path

from deltaedit.factworld.build import make_files
from deltaedit.logs import start_job

start_job(snakemake.log[0], snakemake.threads)
make_files(snakemake.wildcards.world, Path(snakemake.output.world).parent)
