from pathlib import Path

from deltaedit.logs import start_job
from deltaedit.workflow.jobs import score_job

start_job(snakemake.log[0], snakemake.threads)
i, out, p = snakemake.input, snakemake.output, snakemake.params
score_job(p.model, i.records, snakemake.wildcards.dataset, [str(Path(d).parent) for d in i.deltas],
          i.reference, list(out.scores), p.general, p.n_run,
          list(out.general) if "general" in out.keys() else None, load_spec=p.load, analysis=p.analysis)
