"""Where the time goes: the work each job logs against its benchmark's wall and CPU seconds."""
from pathlib import Path

from deltaedit.study.costs import cost_table, edit_seconds, load_benchmarks, logged_work, plot_costs
from deltaedit.logs import start_job
from deltaedit.study.tables import write_table

start_job(snakemake.log[0], snakemake.threads)
i, o = snakemake.input, snakemake.output
edits = edit_seconds(i.edits)
bench = [p for p in snakemake.params.benchmarks if Path(p).exists()]   # every job of this DAG that wrote one
table = cost_table(load_benchmarks(bench), logged_work(bench))
write_table(table, Path(o.table[0]).with_suffix(""))
write_table(edits.set_index(["model", "dataset", "method"]).drop(columns="job"), Path(o.edits[0]).with_suffix(""))
plot_costs(table, edits, o.figure)
