rule make_tables:
    input:
        score_files(),
    output:
        table1=report(
            multiext("results/tables/table1", ".csv", ".md", ".tex"),
            caption="../report/table1.rst",
            category="Tables",
        ),
        table2=multiext("results/tables/table2_noise", ".csv", ".md", ".tex"),
        table3=multiext("results/tables/table3_kbeta", ".csv", ".md", ".tex"),
    log:
        "logs/make_tables/all.log",
    script:
        "../scripts/make_tables.py"


rule plot_figures:
    input:
        score_files(),
    output:
        efficacy=report(
            "results/figures/efficacy_top.png", caption="../report/efficacy.rst", category="Figures"
        ),
        noise=report("results/figures/noise_E.png", caption="../report/noise.rst", category="Figures"),
        kbeta=report("results/figures/k_beta.png", caption="../report/kbeta.rst", category="Figures"),
    log:
        "logs/plot_figures/all.log",
    script:
        "../scripts/plot_figures.py"
