from deltaedit.logs import to_file
from deltaedit.report import eta_table, load_scores, plot_eta, write_table

to_file(snakemake.log[0])
table = eta_table(load_scores(snakemake.input), snakemake.params.etas)
write_table(table, snakemake.output.table[0][: -len(".csv")])
plot_eta(table, snakemake.output.figure)
