# Example of a method that comes as a rule of its own (docs/extending.md). Enable it with
#   snakemake --cores 2 --config external_methods='{noedit: workflow/rules/extra/noedit.smk}'
# A rule like this may wrap any code (another repository, a container, a shell command); all it has to do
# is write, for every checkpoint n, the contract of deltaedit.runner.write_checkpoint:
#   results/edits/{model}/{dataset}/<name>/ckpt_<n>/deltas.safetensors   {"layer.<l>": Δ [d, m]} (may be empty)
#   results/edits/{model}/{dataset}/<name>/ckpt_<n>/diagnostics.json     {"noise_E": {l: x}, ...} or {}
#   results/edits/{model}/{dataset}/<name>/ckpt_<n>/edited.json          case ids edited so far, in order
# Scoring, general capability, tables and figures then treat <name> like any registered method.
# This one is the paper's "pre-edited" row: the unedited model scored on the same records.
rule noedit_run:
    input:
        records=records_file,
    output:
        deltas=expand("results/edits/{{model}}/{{dataset}}/noedit/ckpt_{n}/deltas.safetensors", n=PLAN.ckpts),
    params:
        checkpoints=PLAN.ckpts,
        order_seed=CFG["order_seed"],
        pool=PLAN.n_max,   # the main runs' records (rule edit_run)
    log:
        "logs/noedit_run/{model}_{dataset}.log",
    script:
        "../../scripts/noedit_run.py"
