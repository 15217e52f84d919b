from pathlib import Path

from deltaedit.data import write_json
from deltaedit.factworld.report import markdown, plot_editability, summarize
from deltaedit.logs import start_job

start_job(snakemake.log[0], snakemake.threads)
checks = {Path(p).parent.name: Path(p) for p in snakemake.input.checks}
models = {Path(p).name: Path(p) for p in snakemake.input.models}
summary = summarize(Path(snakemake.input.world).parent, checks, models)
write_json(summary, snakemake.output.json)
Path(snakemake.output.md).write_text(markdown(summary))
plot_editability(summary, Path(snakemake.output.figure))
