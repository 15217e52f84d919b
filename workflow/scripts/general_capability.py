from pathlib import Path

from deltaedit.logs import to_file
from deltaedit.pipeline import general_job

to_file(snakemake.log[0])
g, inp = snakemake.params.general, snakemake.input
ckpt = str(Path(inp.deltas).parent) if "deltas" in inp.keys() else None
general_job(snakemake.params.model, inp.records, snakemake.wildcards.dataset, ckpt, g["tasks"], g.get("glue_dir"), g.get("limit"),
            snakemake.params.n_run, snakemake.output[0])
