from pathlib import Path

from deltaedit.factworld.build import train_model
from deltaedit.logs import to_file

to_file(snakemake.log[0])
train_model(snakemake.wildcards.world, Path(snakemake.input.tokenizer).parent, snakemake.wildcards.arch)
