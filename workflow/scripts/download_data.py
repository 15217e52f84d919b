from deltaedit.data.download import download
from deltaedit.logs import to_file

to_file(snakemake.log[0])
download(snakemake.wildcards.name, snakemake.output[0])
