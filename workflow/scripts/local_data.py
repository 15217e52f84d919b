from deltaedit.logs import start_job
from deltaedit.workflow.jobs import local_data_job

start_job(snakemake.log[0], snakemake.threads)
local_data_job(list(snakemake.input), snakemake.params.label, snakemake.output[0])
