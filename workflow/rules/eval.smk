rule reference_predictions:
    input:
        model=model_dir,
        records=records_file,
    output:
        "resources/reference/{model}/{dataset}.json",
    params:
        n=max(CKPTS),
    log:
        "logs/reference_predictions/{model}_{dataset}.log",
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
    log:
        "logs/score_checkpoint/{model}_{dataset}_{method}_{n}.log",
    benchmark:
        "benchmarks/score_checkpoint/{model}_{dataset}_{method}_{n}.tsv"
    threads: 2
    resources:
        gpu=1,
    script:
        "../scripts/score_checkpoint.py"
