import json
from pathlib import Path

from deltaedit.costs import cost_table, edit_seconds, load_benchmarks, logged_work, plot_costs, score_seconds
from deltaedit.logs import start_job
from deltaedit.report import write_table

start_job(snakemake.log[0], snakemake.threads)
i, o = snakemake.input, snakemake.output
pretrain = {f"{Path(m).parent.parent.name}_{Path(m).name}": json.loads((Path(m) / "train_summary.json").read_text())
            ["train_seconds"] for m in i.models}
edits = edit_seconds(i.edits)
bench = [p for p in snakemake.params.benchmarks if Path(p).exists()]   # every job of this DAG that wrote one
table = cost_table(load_benchmarks(bench), edits, score_seconds(i.scores), pretrain, logged_work(bench))
write_table(table, Path(o.table[0]).with_suffix(""))
write_table(edits.set_index(["model", "dataset", "method"]).drop(columns="job"), Path(o.edits[0]).with_suffix(""))
plot_costs(table, edits, o.figure)
