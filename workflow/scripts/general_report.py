from deltaedit.logs import start_job
from deltaedit.study.tables import general_table, load_general, plot_general, write_table

start_job(snakemake.log[0], snakemake.threads)
df = load_general(snakemake.input)
write_table(general_table(df), snakemake.output.table[0][: -len(".csv")])
plot_general(df, "f1", "F1", snakemake.output.f1)
plot_general(df, "f1_diff", "F1 - F1 of the unedited model", snakemake.output.diff)
