# Figure 9: DeltaEdit's sensitivity to the trigger threshold η (config eta_sweep; empty etas = skip).
# One sequential run per η on one model and dataset, scored at the last checkpoint.
if not PLAN.from_scores:   # a study assembled from score files made earlier (config from_scores)

    rule eta_run:
        input:
            model=model_dir,
            records=records_file,
            templates=lambda wc: templates_file(wc, "deltaedit"),
            stats=STATS_FILE,
        output:
            deltas="results/sweep/eta/{model}/{dataset}/{eta}/ckpt_{n}/deltas.safetensors",
        params:
            model=model_ref,
            load=load_spec("eta_run"),   # dtype, fp32 layers, GPUs (docs/precision.md)
            hparams=lambda wc: PLAN.models[wc.model]["hparams"],
            hparams_values=lambda wc: hparams_values(wc, "deltaedit"),
            checkpoints=lambda wc: [int(wc.n)],
            order_seed=CFG["order_seed"],
            pool=PLAN.n_max,   # the main runs' records (rule edit_run)
        wildcard_constraints:
            eta=r"[0-9.]+",
        log:
            "logs/eta_run/{model}_{dataset}_{eta}_{n}.log",
        benchmark:
            "benchmarks/eta_run/{model}_{dataset}_{eta}_{n}.tsv"
        threads: PLAN.job_threads   # config job_threads (default 1: on a laptop two small jobs run side by side)
        resources:
            gpu=gpus("eta_run"),
        script:
            "../scripts/eta_run.py"


    use rule score_run as score_eta with:
        input:
            model=model_dir,
            records=records_file,
            reference=REFERENCE_FILE,
            deltas=["results/sweep/eta/{model}/{dataset}/{eta}/ckpt_{n}/deltas.safetensors"],
        output:
            scores=["results/sweep_scores/eta/{model}/{dataset}/{eta}/{n}.json"],
        log:
            "logs/score_eta/{model}_{dataset}_{eta}_{n}.log",
        benchmark:
            "benchmarks/score_eta/{model}_{dataset}_{eta}_{n}.tsv"


rule eta_figure:
    input:
        PLAN.eta_score_files(),
    output:
        figure=report("results/figures/eta_sweep.png", caption="../report/eta.rst", category="Figures"),
        table=multiext("results/tables/eta_sweep", ".csv", ".md", ".tex"),
    params:
        etas=PLAN.eta["etas"],
    log:
        "logs/eta_figure/all.log",
    benchmark:
        "benchmarks/eta_figure/all.tsv"
    script:
        "../scripts/eta_figure.py"
