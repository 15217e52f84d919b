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


# One job per checkpoint loads the model once: CounterFact/ZsRE metrics, noise_E and k^T beta, and the
# general capability (PAPER.txt §5, Figures 3 and 7: lm-eval on the base model plus the checkpoint's deltas).
rule score_checkpoint:
    input:
        model=model_dir,
        records=records_file,
        reference="resources/reference/{model}/{dataset}.json",
        deltas="results/edits/{model}/{dataset}/{method}/ckpt_{n}/deltas.safetensors",
    output:
        scores="results/scores/{model}/{dataset}/{method}/{n}.json",
        general="results/general/{model}/{dataset}/{method}/{n}.json",
    params:
        model=model_ref,
        general=config["general"],
        n_run=max(CKPTS),
    log:
        "logs/score_checkpoint/{model}_{dataset}_{method}_{n}.log",
    benchmark:
        "benchmarks/score_checkpoint/{model}_{dataset}_{method}_{n}.tsv"
    threads: 1   # many small jobs: on a laptop two run side by side
    resources:
        gpu=1,
    script:
        "../scripts/score_checkpoint.py"


rule general_unedited:
    input:
        model=model_dir,
        records=records_file,
    output:
        "results/general/{model}/{dataset}/unedited.json",
    params:
        model=model_ref,
        general=config["general"],
        n_run=max(CKPTS),
    log:
        "logs/general_unedited/{model}_{dataset}.log",
    benchmark:
        "benchmarks/general_unedited/{model}_{dataset}.tsv"
    threads: 1   # many small jobs: on a laptop two run side by side
    resources:
        gpu=1,
    script:
        "../scripts/general_unedited.py"
