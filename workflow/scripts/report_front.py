from deltaedit.logs import start_job
from deltaedit.study.front import front_page

start_job(snakemake.log[0], snakemake.threads)
claims = list(snakemake.input.claims)
front_page(snakemake.params.run, snakemake.input.table1, snakemake.input.fig1, claims[0] if claims else None,
           snakemake.output[0])
