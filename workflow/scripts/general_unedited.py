from deltaedit.logs import start_job
from deltaedit.workflow.jobs import general_job

start_job(snakemake.log[0], snakemake.threads)
general_job(snakemake.params.model, snakemake.input.records, snakemake.wildcards.dataset, snakemake.params.general,
            snakemake.params.n_run, snakemake.output[0], load_spec=snakemake.params.load)
