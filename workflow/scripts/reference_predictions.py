from deltaedit.logs import start_job
from deltaedit.workflow.jobs import reference_job

start_job(snakemake.log[0], snakemake.threads)
reference_job(snakemake.params.model, snakemake.input.records, snakemake.wildcards.dataset, snakemake.params.n,
              snakemake.output[0], load_spec=snakemake.params.load)
