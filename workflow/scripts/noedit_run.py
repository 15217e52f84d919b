from pathlib import Path

from deltaedit.logs import start_job
from deltaedit.workflow.jobs import noedit_job

start_job(snakemake.log[0], snakemake.threads)
p = snakemake.params
noedit_job(snakemake.input.records, snakemake.wildcards.dataset, p.checkpoints, p.order_seed,
           str(Path(snakemake.output.deltas[0]).parent.parent), pool=p.pool)
