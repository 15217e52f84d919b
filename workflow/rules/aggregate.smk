rule make_tables:
    input:
        PLAN.score_files(),
    output:
        table1=report(
            multiext("results/tables/table1", ".csv", ".md", ".tex"),
            caption="../report/table1.rst",
            category="Tables",
        ),
        table2=multiext("results/tables/table2_noise", ".csv", ".md", ".tex"),
        table3=multiext("results/tables/table3_kbeta", ".csv", ".md", ".tex"),
        # beyond the paper: edits sustained before Efficacy falls under 50 % (teacher-forced and generated)
        horizon=report(
            multiext("results/tables/horizon", ".csv", ".md", ".tex"), caption="../report/horizon.rst", category="Tables"
        ),
        # Table 1 at the last checkpoint of the long runs (config long_runs), the runs that reached it, pooled over orders
        long=report(
            multiext("results/tables/table1_long", ".csv", ".md", ".tex"), caption="../report/table1_long.rst", category="Tables"
        ),
        # with order replicas (config order_replicas): Table 1 pooled over orders, CIs over orders and records
        **({"orders": multiext("results/tables/table1_orders", ".csv", ".md", ".tex")} if PLAN.replicas else {}),
    params:
        replicas=PLAN.replicas,
    log:
        "logs/make_tables/all.log",
    benchmark:
        "benchmarks/make_tables/all.tsv"
    script:
        "../scripts/make_tables.py"


rule plot_figures:
    input:
        scores=PLAN.score_files(),
        edits=PLAN.edit_logs(),
    output:
        efficacy=report(
            "results/figures/efficacy_top.png", caption="../report/efficacy.rst", category="Figures"
        ),
        noise=report("results/figures/noise_E.png", caption="../report/noise.rst", category="Figures"),
        kbeta=report("results/figures/k_beta.png", caption="../report/kbeta.rst", category="Figures"),
        fig1=report("results/figures/fig1.png", caption="../report/fig1.rst", category="Figures"),
        fig2=report("results/figures/fig2_kbeta.png", caption="../report/fig2.rst", category="Figures"),
        fig4a=report("results/figures/fig4a_noise.png", caption="../report/fig4a.rst", category="Figures"),
        layers=report("results/figures/noise_layers.png", caption="../report/layers.rst", category="Figures"),
        trigger=report("results/figures/trigger_rate.png", caption="../report/trigger.rst", category="Figures"),
        norms=report("results/figures/norms.png", caption="../report/norms.rst", category="Figures"),
        horizon=report("results/figures/horizon.png", caption="../report/horizon_fig.rst", category="Figures"),
    params:
        widths=PLAN.paper_widths(),   # Fig. 1's paper-equivalent axis
        bases={run: PLAN.base_method(run) for run in PLAN.all_methods},
        replicas=PLAN.replicas,   # drawn folded into their run: mean over orders, the orders' range as a band
    log:
        "logs/plot_figures/all.log",
    benchmark:
        "benchmarks/plot_figures/all.tsv"
    script:
        "../scripts/plot_figures.py"


# The paper's claims (a)-(e) with the pass criteria of results/PROTOCOL.md, from the score files and the
# DeltaEdit trigger logs; the key statistics give AlphaEdit's null-space size for the diagnosis.
rule claims:
    input:
        scores=PLAN.score_files(),
        edits=PLAN.edit_logs(),
        stats=expand(STATS_FILE, model=PLAN.models) if "alphaedit" in PLAN.runs else [],
    output:
        json="results/claims.json",
        md=report("results/tables/claims.md", caption="../report/claims.rst", category="Tables"),
    params:
        replicas=PLAN.replicas,
        protocol=PLAN.claims_protocol,
        models=PLAN.claims_params(),
        stats_models=list(PLAN.models) if "alphaedit" in PLAN.runs else [],
    log:
        "logs/claims/all.log",
    benchmark:
        "benchmarks/claims/all.tsv"
    script:
        "../scripts/claims.py"


# The report's front page (the Snakefile's `report:`): the verdicts, Table 1 in brief and Fig. 1, then what was run.
rule report_front:
    input:
        table1="results/tables/table1.csv",
        fig1="results/figures/fig1.png",
        claims=["results/claims.json"] if PLAN.claims else [],
    output:
        "results/report/front.rst",
    params:
        run=PLAN.summary(),
    log:
        "logs/report_front/all.log",
    benchmark:
        "benchmarks/report_front/all.tsv"
    script:
        "../scripts/report_front.py"


rule general_report:
    input:
        PLAN.general_files(),
    output:
        table=multiext("results/tables/general_f1", ".csv", ".md", ".tex"),
        f1=report("results/figures/general_f1.png", caption="../report/general_f1.rst", category="Figures"),
        diff=report("results/figures/general_f1_diff.png", caption="../report/general_diff.rst", category="Figures"),
    log:
        "logs/general_report/all.log",
    benchmark:
        "benchmarks/general_report/all.tsv"
    script:
        "../scripts/general_report.py"


# Figures 4b/8 and Tables 4-5: per model and dataset, every method's last checkpoint against the unedited model.
rule analysis:
    input:
        model=model_dir,
        records=records_file,
        parts=lambda wc: [ANALYSIS_PART.format(model=wc.model, dataset=wc.dataset, method=r) for r in PLAN.runs_on(wc.dataset)],
    output:
        figure=report("results/figures/tsne/{model}_{dataset}.png", caption="../report/tsne.rst",
                      category="Figures", subcategory="t-SNE"),
        drift="results/analysis/{model}_{dataset}_drift.json",
        cases=report("results/case_studies/{model}_{dataset}.md", caption="../report/cases.rst",
                     category="Case studies"),
    params:
        model=model_ref,
        load=load_spec("analysis"),   # dtype, fp32 layers, GPUs (docs/precision.md)
        methods=lambda wc: PLAN.runs_on(wc.dataset),
        spec=PLAN.analysis_spec(),
        pool=PLAN.n_max,
    log:
        "logs/analysis/{model}_{dataset}.log",
    benchmark:
        "benchmarks/analysis/{model}_{dataset}.tsv"
    threads: 2
    resources:
        gpu=gpus("analysis"),
    script:
        "../scripts/analysis.py"


# Where the time goes: every job's benchmark file against the work its log reports, and the seconds of every
# edit. It runs last (its inputs are the other targets) and reads the benchmark files that exist in benchmarks/
# rather than requiring them, so results made before a rule had a benchmark: directive are not redone for it.
rule costs:
    input:
        targets=PLAN.targets(),
        edits=PLAN.edit_logs(),
    output:
        table=report(multiext("results/costs/costs", ".csv", ".md", ".tex"), caption="../report/costs.rst",
                     category="Cost"),
        edits=multiext("results/costs/per_edit", ".csv", ".md", ".tex"),
        figure=report("results/figures/costs.png", caption="../report/costs.rst", category="Cost"),
    params:
        benchmarks=PLAN.benchmark_files(),
    log:
        "logs/costs/all.log",
    benchmark:
        "benchmarks/costs/all.tsv"
    script:
        "../scripts/costs.py"
