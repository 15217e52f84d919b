rule factworld_files:
    output:
        world="resources/factworld/{world}/world.json",
        counterfact="resources/factworld/{world}/counterfact.json",
        zsre="resources/factworld/{world}/zsre.json",
        background="resources/factworld/{world}/background.txt",
        tokenizer=directory("resources/factworld/{world}/tokenizer"),
    log:
        "logs/factworld_files/{world}.log",
    benchmark:
        "benchmarks/factworld_files/{world}.tsv"
    script:
        "../scripts/factworld_files.py"


rule factworld_pretrain:
    input:
        tokenizer="resources/factworld/{world}/tokenizer",
    output:
        model=directory("resources/factworld/{world}/models/{arch}"),
    log:
        "logs/factworld_pretrain/{world}_{arch}.log",
    benchmark:
        "benchmarks/factworld_pretrain/{world}_{arch}.tsv"
    threads: lambda wc: PLAN.pretrain_threads(wc.world)   # the world's own (deltaedit.factworld.build.PRESETS): part of its models
    priority: 10   # on the critical path: every job of the model waits for it, so it goes before scoring jobs
    script:
        "../scripts/factworld_pretrain.py"


rule factworld_check:
    input:
        model="resources/factworld/{world}/models/{arch}",
        counterfact="resources/factworld/{world}/counterfact.json",
    output:
        checks="results/factworld/{world}/{arch}/checks.json",
    log:
        "logs/factworld_check/{world}_{arch}.log",
    benchmark:
        "benchmarks/factworld_check/{world}_{arch}.tsv"
    threads: 2
    # needs only the model, and its summary ends the workflow: scheduled early, it does not hold up the end
    priority: 8
    script:
        "../scripts/factworld_check.py"


rule factworld_summary:
    input:
        world="resources/factworld/{world}/world.json",
        checks=expand("results/factworld/{{world}}/{arch}/checks.json", arch=PLAN.archs),
        models=expand("resources/factworld/{{world}}/models/{arch}", arch=PLAN.archs),
    output:
        json="results/factworld/{world}/summary.json",
        md="results/factworld/{world}/summary.md",
        figure="results/factworld/{world}/editability.png",
    log:
        "logs/factworld_summary/{world}.log",
    script:
        "../scripts/factworld_summary.py"
