from pathlib import Path

from deltaedit.factworld.build import train_model
from deltaedit.logs import start_job

start_job(snakemake.log[0], snakemake.threads)
# on the world's own thread count, not the job's: Snakemake gives fewer threads where --cores is smaller, and the
# thread count is part of the model (deltaedit.factworld.build.PRESETS)
train_model(snakemake.wildcards.world, Path(snakemake.input.tokenizer).parent, snakemake.wildcards.arch)
