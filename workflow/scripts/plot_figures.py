from deltaedit.logs import start_job
from deltaedit.report import load_scores, plot_curves

start_job(snakemake.log[0], snakemake.threads)
df = load_scores(snakemake.input)
plot_curves(df, "efficacy_top", "Efficacy top (%)", snakemake.output.efficacy)
plot_curves(df, "noise_E", "noise_E at the last edited layer", snakemake.output.noise)
plot_curves(df, "mean_k_beta", "mean k_i^T beta_j (i != j)", snakemake.output.kbeta)
