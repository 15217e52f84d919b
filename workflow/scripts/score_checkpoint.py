from pathlib import Path

from deltaedit.logs import start_job
from deltaedit.pipeline import score_job

start_job(snakemake.log[0], snakemake.threads)
out = snakemake.output
score_job(snakemake.params.model, snakemake.input.records, snakemake.wildcards.dataset,
          str(Path(snakemake.input.deltas).parent), snakemake.input.reference, out.scores,
          snakemake.params.general, snakemake.params.n_run, out.general if "general" in out.keys() else None)
