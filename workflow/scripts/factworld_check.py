from pathlib import Path

from deltaedit.factworld.build import check_model
from deltaedit.logs import start_job

start_job(snakemake.log[0], snakemake.threads)
check_model(snakemake.wildcards.world, Path(snakemake.input.counterfact).parent, snakemake.wildcards.arch,
            out_json=snakemake.output.checks)
