rule reference_predictions:
    input:
        model=model_dir,
        records=records_file,
    output:
        REFERENCE_FILE,
    params:
        model=model_ref,
        load=load_spec("reference_predictions"),   # dtype, fp32 layers, GPUs (docs/precision.md)
        n=PLAN.n_max,
    log:
        "logs/reference_predictions/{model}_{dataset}.log",
    benchmark:
        "benchmarks/reference_predictions/{model}_{dataset}.tsv"
    resources:
        gpu=gpus("reference_predictions"),
    script:
        "../scripts/reference_predictions.py"


# One job per run scores all its checkpoints (docs/workflow.md): the model, records and lm-eval are set up
# once per run instead of once per checkpoint — CounterFact/ZsRE metrics, noise_E and k^T beta, and, for the
# runs config general names, the general capability (the paper, §5, Figures 3 and 7: lm-eval on the base model
# plus each checkpoint's deltas). Snakemake fixes a rule's outputs, so the runs with general capability and the
# long runs are `use rule ... with:` copies that add outputs, told apart by the plan's wildcard constraints.
if not PLAN.from_scores:   # a study assembled from score files made earlier (config from_scores)

    rule score_run:
        input:
            model=model_dir,
            records=records_file,
            reference=REFERENCE_FILE,
            deltas=run_deltas,
        output:
            scores=expand("results/scores/{{model}}/{{dataset}}/{{method}}/{n}.json", n=PLAN.ckpts),
            analysis=ANALYSIS_PART,
        params:
            model=model_ref,
            load=load_spec("score_run"),   # dtype, fp32 layers, GPUs (docs/precision.md)
            general=PLAN.general_tasks,   # the tasks, their data and item limit
            n_run=PLAN.n_max,
            # the run's part of rule analysis at its checkpoint: the analysis then needs no run's deltas, so runs
            # scored in earlier sessions are not edited again (docs/workflow.md#a-study-in-pieces)
            analysis=analysis_spec,
        log:
            "logs/score_run/{model}_{dataset}_{method}.log",
        benchmark:
            "benchmarks/score_run/{model}_{dataset}_{method}.tsv"
        threads: PLAN.job_threads   # config job_threads (default 1: on a laptop two small jobs run side by side)
        resources:
            gpu=gpus("score_run"),
        script:
            "../scripts/score_run.py"


    use rule score_run as score_run_general with:
        output:
            scores=expand("results/scores/{{model}}/{{dataset}}/{{method}}/{n}.json", n=PLAN.ckpts),
            general=expand("results/general/{{model}}/{{dataset}}/{{method}}/{n}.json", n=PLAN.ckpts),
            analysis=ANALYSIS_PART,
        wildcard_constraints:
            **PLAN.general_constraints(),

    if not PLAN.long:
        ruleorder: score_run_general > score_run

    else:
        use rule score_run as score_run_long with:
            output:
                scores=expand("results/scores/{{model}}/{{dataset}}/{{method}}/{n}.json", n=PLAN.long_ckpts),
                analysis=ANALYSIS_PART,
            wildcard_constraints:
                **PLAN.long_constraints(),

        use rule score_run as score_run_long_general with:
            output:
                scores=expand("results/scores/{{model}}/{{dataset}}/{{method}}/{n}.json", n=PLAN.long_ckpts),
                general=expand("results/general/{{model}}/{{dataset}}/{{method}}/{n}.json", n=PLAN.long_ckpts),
                analysis=ANALYSIS_PART,
            wildcard_constraints:
                **PLAN.general_constraints(long=True),

        # the most specific rule that matches a run: long with general, general, long, neither
        ruleorder: score_run_long_general > score_run_general > score_run_long > score_run


rule general_unedited:
    input:
        model=model_dir,
        records=records_file,
    output:
        "results/general/{model}/{dataset}/unedited.json",
    params:
        model=model_ref,
        load=load_spec("general_unedited"),   # dtype, fp32 layers, GPUs (docs/precision.md)
        general=PLAN.general_tasks,   # the tasks, their data and item limit
        n_run=PLAN.n_max,
    log:
        "logs/general_unedited/{model}_{dataset}.log",
    benchmark:
        "benchmarks/general_unedited/{model}_{dataset}.tsv"
    threads: PLAN.job_threads   # config job_threads (default 1: on a laptop two small jobs run side by side)
    resources:
        gpu=gpus("general_unedited"),
    script:
        "../scripts/general_unedited.py"
