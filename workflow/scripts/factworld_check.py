from pathlib import Path

from deltaedit.factworld.build import check_model
from deltaedit.logs import to_file

to_file(snakemake.log[0])
check_model(snakemake.wildcards.world, Path(snakemake.input.counterfact).parent, snakemake.wildcards.arch,
            out_json=snakemake.output.checks)
