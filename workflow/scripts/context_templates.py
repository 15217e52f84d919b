from deltaedit.logs import start_job
from deltaedit.workflow.jobs import templates_job

start_job(snakemake.log[0], snakemake.threads)
templates_job(snakemake.params.model, snakemake.output[0], seed_words=snakemake.params.seed_words,
              template_set=snakemake.params.template_set, load_spec=snakemake.params.load)
