from pathlib import Path

from deltaedit.logs import start_job
from deltaedit.workflow.jobs import edit_job

start_job(snakemake.log[0], snakemake.threads)
w, p = snakemake.wildcards, snakemake.params
edit_job(p.model, snakemake.input.records, w.dataset, "deltaedit", p.hparams, snakemake.input.templates,
         snakemake.input.stats, str(Path(snakemake.output.deltas).parent.parent), p.checkpoints, p.order_seed,
         overrides={"eta": float(w.eta)}, load_spec=p.load, pool=p.pool)
