rule reference_predictions:
    input:
        model=model_dir,
        records=records_file,
    output:
        "resources/reference/{model}/{dataset}.json",
    params:
        model=model_ref,
        n=max(CKPTS),
    log:
        "logs/reference_predictions/{model}_{dataset}.log",
    resources:
        gpu=1,
    script:
        "../scripts/reference_predictions.py"


rule score_checkpoint:
    input:
        model=model_dir,
        records=records_file,
        reference="resources/reference/{model}/{dataset}.json",
        deltas="results/edits/{model}/{dataset}/{method}/ckpt_{n}/deltas.safetensors",
    output:
        "results/scores/{model}/{dataset}/{method}/{n}.json",
    params:
        model=model_ref,
    log:
        "logs/score_checkpoint/{model}_{dataset}_{method}_{n}.log",
    benchmark:
        "benchmarks/score_checkpoint/{model}_{dataset}_{method}_{n}.tsv"
    threads: 2
    resources:
        gpu=1,
    script:
        "../scripts/score_checkpoint.py"


# General capability (PAPER.txt §5, Figures 3 and 7): lm-eval on the base model plus a checkpoint's deltas.
rule general_capability:
    input:
        model=model_dir,
        records=records_file,
        deltas="results/edits/{model}/{dataset}/{method}/ckpt_{n}/deltas.safetensors",
    output:
        "results/general/{model}/{dataset}/{method}/{n}.json",
    params:
        model=model_ref,
        general=config["general"],
        n_run=max(CKPTS),
    log:
        "logs/general_capability/{model}_{dataset}_{method}_{n}.log",
    benchmark:
        "benchmarks/general_capability/{model}_{dataset}_{method}_{n}.tsv"
    threads: 2
    resources:
        gpu=1,
    script:
        "../scripts/general_capability.py"


use rule general_capability as general_unedited with:
    input:
        model=model_dir,
        records=records_file,
    output:
        "results/general/{model}/{dataset}/unedited.json",
    log:
        "logs/general_capability/{model}_{dataset}_unedited.log",
    benchmark:
        "benchmarks/general_capability/{model}_{dataset}_unedited.tsv"
