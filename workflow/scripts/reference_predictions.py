from deltaedit.logs import to_file
from deltaedit.pipeline import reference_job

to_file(snakemake.log[0])
reference_job(snakemake.params.model, snakemake.input.records, snakemake.wildcards.dataset, snakemake.params.n,
              snakemake.output[0])
