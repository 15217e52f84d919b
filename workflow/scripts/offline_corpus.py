from deltaedit.logs import start_job
from deltaedit.workflow.jobs import offline_corpus_job

start_job(snakemake.log[0], snakemake.threads)
offline_corpus_job(snakemake.params.data_dir, snakemake.output[0], snakemake.params.seed)
