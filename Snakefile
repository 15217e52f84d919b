# deltaedit workflow. Paths: resources/ holds generated or downloaded inputs (git-ignored),
# results/<stage>/... the tables, figures and small JSON summaries, logs/<rule>/... one log per job.
from pathlib import Path

from snakemake.utils import min_version

min_version("8.0")


configfile: "config.yaml"


# The report's front page leads with what the run found; rule report_front writes it once the results exist
# (`snakemake --report` runs after the workflow), the static page stands in before.
FRONT = Path("results/report/front.rst").resolve()


report: str(FRONT) if FRONT.exists() else "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/factworld.smk"
include: "workflow/rules/stats.smk"
include: "workflow/rules/edit.smk"
include: "workflow/rules/eval.smk"
include: "workflow/rules/aggregate.smk"
include: "workflow/rules/sweep.smk"


# Methods that come as rules of their own (config external_methods: {name: rule file}); each writes the
# checkpoint contract of deltaedit.runner.write_checkpoint under results/edits/{model}/{dataset}/<name>/.
for _rule_file in PLAN.external.values():

    include: _rule_file


rule all:
    input:
        PLAN.targets(),
        "results/figures/costs.png",
