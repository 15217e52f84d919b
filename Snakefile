# deltaedit workflow. Paths: resources/ holds generated or downloaded inputs (git-ignored),
# results/<stage>/... the tables, figures and small JSON summaries, logs/<rule>/... one log per job.
from snakemake.utils import min_version

min_version("8.0")


configfile: "config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/factworld.smk"
include: "workflow/rules/stats.smk"
include: "workflow/rules/edit.smk"
include: "workflow/rules/eval.smk"
include: "workflow/rules/aggregate.smk"


rule all:
    input:
        factworld_targets(),
        "results/tables/table1.csv",
        "results/figures/efficacy_top.png",
