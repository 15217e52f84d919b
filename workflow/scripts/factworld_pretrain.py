from pathlib import Path

from deltaedit.factworld.build import train_model
from deltaedit.logs import start_job

start_job(snakemake.log[0], snakemake.threads)
train_model(snakemake.wildcards.world, Path(snakemake.input.tokenizer).parent, snakemake.wildcards.arch,
            threads=snakemake.threads)
