# With from_scores (a study assembled from score files made earlier) no run is edited.
if not PLAN.from_scores:

    rule edit_run:
        input:
            model=model_dir,
            records=records_file,
            templates=templates_file,
            stats=STATS_FILE,
        output:
            deltas=expand(
                "results/edits/{{model}}/{{dataset}}/{{method}}/ckpt_{n}/deltas.safetensors", n=PLAN.ckpts
            ),
            log="results/edits/{model}/{dataset}/{method}/edits.jsonl",
        params:
            model=model_ref,
            load=load_spec("edit_run"),   # dtype, fp32 layers, GPUs (docs/precision.md)
            method=lambda wc: PLAN.base_method(wc.method),
            overrides=lambda wc: PLAN.overrides(wc.method, wc.model),   # a variant's (config variants), {} for a method
            hparams=lambda wc: PLAN.models[wc.model]["hparams"],
            hparams_values=hparams_values,
            checkpoints=run_ckpts,
            pool=PLAN.n_max,   # every run draws its edits from the same records: a shorter run edits a prefix of a longer one's
            order_seed=lambda wc: PLAN.order_seed(wc.method),   # config order_seed, or an order replica's
            method_modules=PLAN.method_modules,
        wildcard_constraints:
            method="|".join(PLAN.runs),   # external methods come from their own rules (config external_methods)
        log:
            "logs/edit_run/{model}_{dataset}_{method}.log",
        benchmark:
            "benchmarks/edit_run/{model}_{dataset}_{method}.tsv"
        threads: PLAN.job_threads   # config job_threads (default 1: on a laptop two small jobs run side by side)
        # edits before scores: every score job waits on its run's edits, so an edit started late holds up the
        # end (its scores, the analysis, the tables) while a core idles
        priority: 3
        resources:
            gpu=gpus("edit_run"),
        script:
            "../scripts/edit_run.py"


    # A long run (config long_runs) is the same job with more checkpoints: only its output list differs.
    if PLAN.long:
        use rule edit_run as edit_run_long with:
            output:
                deltas=expand("results/edits/{{model}}/{{dataset}}/{{method}}/ckpt_{n}/deltas.safetensors", n=PLAN.long_ckpts),
                log="results/edits/{model}/{dataset}/{method}/edits.jsonl",
            wildcard_constraints:
                **PLAN.long_constraints(),
            # the longest jobs first (longest-processing-time order): started last, one would run alone at the
            # end while the other core idles
            priority: 5

        ruleorder: edit_run_long > edit_run
