from deltaedit.logs import start_job
from deltaedit.workflow.jobs import stats_job

start_job(snakemake.log[0], snakemake.threads)
p = snakemake.params
stats_job(p.model, p.model, p.layers, snakemake.output[0], p.corpus, p.n_texts, p.max_len, p.seed, load_spec=p.load)
