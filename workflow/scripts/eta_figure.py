from deltaedit.logs import start_job
from deltaedit.study.tables import eta_table, load_scores, plot_eta, write_table

start_job(snakemake.log[0], snakemake.threads)
table = eta_table(load_scores(snakemake.input), snakemake.params.etas)
write_table(table, snakemake.output.table[0][: -len(".csv")])
plot_eta(table, snakemake.output.figure)
