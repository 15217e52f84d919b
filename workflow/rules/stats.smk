rule context_templates:
    wildcard_constraints:
        tset=r"\d+x\d+(-\d+x\d+)*",
    input:
        model=model_dir,
    output:
        "resources/templates/{model}/{tset}.json",
    params:
        model=model_ref,
        load=load_spec("context_templates"),   # dtype, fp32 layers, GPUs (docs/precision.md)
        # docs/methods.md#context-templates: hub models start their context templates from five words, the fact world from EOS
        seed_words=lambda wc: HUB_TEMPLATE_WORDS if PLAN.is_pretrained(wc.model) else None,
        template_set=lambda wc: wc.tset,   # e.g. 10x5 (MEMIT family) or 5x10-10x10 (ROME): core/templates.py
    # every editing job waits for its templates and key statistics: right after the model, before other jobs
    priority: 8
    log:
        "logs/context_templates/{model}_{tset}.log",
    benchmark:
        "benchmarks/context_templates/{model}_{tset}.tsv"
    resources:
        gpu=gpus("context_templates"),
    script:
        "../scripts/context_templates.py"


rule key_stats:
    input:
        model=model_dir,
        corpus=corpus_file,
    output:
        STATS_FILE,
    params:
        # every result-determining value is a param, so --cache keys differ per model
        model=model_ref,
        load=load_spec("key_stats"),   # dtype, fp32 layers, GPUs (docs/precision.md)
        corpus=corpus_ref,
        layers=lambda wc: PLAN.stats_layers(wc.model),
        n_texts=CFG["stats"]["n_texts"],
        max_len=CFG["stats"]["max_len"],
        seed=CFG["stats"].get("seed", 0),
    priority: 8
    log:
        "logs/key_stats/{model}.log",
    threads: 2
    resources:
        gpu=gpus("key_stats"),
    cache: "omit-software"
    script:
        "../scripts/key_stats.py"
