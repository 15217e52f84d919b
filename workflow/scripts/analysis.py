from pathlib import Path

from deltaedit.logs import start_job
from deltaedit.workflow.jobs import analysis_job

start_job(snakemake.log[0], snakemake.threads)
p, out = snakemake.params, snakemake.output
ckpts = {m: str(Path(d).parent) for m, d in zip(p.methods, snakemake.input.deltas)}
analysis_job(p.model, snakemake.input.records, snakemake.wildcards.dataset, ckpts, p.n_prompts, p.n_cases,
             out.figure, out.drift, out.cases, load_spec=p.load)
