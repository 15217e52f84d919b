from deltaedit.logs import start_job
from deltaedit.workflow.jobs import builtin_model_job

start_job(snakemake.log[0], snakemake.threads)
builtin_model_job(snakemake.params.builtin, snakemake.output[0])
