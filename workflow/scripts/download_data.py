from deltaedit.data.download import download
from deltaedit.logs import start_job

start_job(snakemake.log[0], snakemake.threads)
download(snakemake.wildcards.name, snakemake.output[0])
