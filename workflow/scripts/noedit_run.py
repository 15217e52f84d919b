from pathlib import Path

from deltaedit.logs import to_file
from deltaedit.pipeline import noedit_job

to_file(snakemake.log[0])
p = snakemake.params
noedit_job(snakemake.input.records, snakemake.wildcards.dataset, p.checkpoints, p.order_seed,
           str(Path(snakemake.output.deltas[0]).parent.parent))
