from deltaedit.logs import start_job
from deltaedit.study.orders import pool_curves
from deltaedit.study.figures import (figure1, figure2, figure4a, horizon_figure, load_triggers, load_value_norms,
                                    noise_by_layer, norm_curves, trigger_rate)
from deltaedit.study.tables import load_scores, plot_curves

start_job(snakemake.log[0], snakemake.threads)
out, p = snakemake.output, snakemake.params
df = pool_curves(load_scores(snakemake.input.scores), p.replicas)
plot_curves(df, "efficacy_top", "Efficacy top (%)", out.efficacy)
plot_curves(df, "noise_E", "noise_E at the last edited layer", out.noise)
plot_curves(df, "mean_k_beta", "mean k_i^T beta_j (i != j)", out.kbeta)
figure1(df, p.widths, p.bases, out.fig1)
figure2(df, p.bases, out.fig2)
figure4a(df, p.bases, out.fig4a)
noise_by_layer(df, out.layers)
trigger_rate(load_triggers(snakemake.input.edits), out.trigger, p.replicas)
norm_curves(load_value_norms(snakemake.input.edits), df, out.norms, p.replicas)
horizon_figure(df, out.horizon)
