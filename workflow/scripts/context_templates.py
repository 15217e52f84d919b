from deltaedit.logs import to_file
from deltaedit.pipeline import templates_job

to_file(snakemake.log[0])
templates_job(snakemake.params.model, snakemake.output[0], seed_words=snakemake.params.seed_words)
