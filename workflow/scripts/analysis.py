from deltaedit.logs import start_job
from deltaedit.workflow.jobs import analysis_job

start_job(snakemake.log[0], snakemake.threads)
p, out = snakemake.params, snakemake.output
analysis_job(p.model, snakemake.input.records, snakemake.wildcards.dataset, dict(zip(p.methods, snakemake.input.parts)),
             p.spec["n_prompts"], p.spec["n_cases"], p.spec["order_seed"], p.pool, out.figure, out.drift, out.cases,
             load_spec=p.load)
