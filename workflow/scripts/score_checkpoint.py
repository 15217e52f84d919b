from pathlib import Path

from deltaedit.logs import to_file
from deltaedit.pipeline import score_job

to_file(snakemake.log[0])
score_job(snakemake.params.model, snakemake.input.records, snakemake.wildcards.dataset,
          str(Path(snakemake.input.deltas).parent), snakemake.input.reference, snakemake.output[0])
