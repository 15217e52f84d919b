from deltaedit.logs import start_job
from deltaedit.study.orders import load_record_values, pooled_table1
from deltaedit.study.tables import horizons, load_scores, per_checkpoint, table1, write_table

start_job(snakemake.log[0], snakemake.threads)
df = load_scores(snakemake.input)
write_table(table1(df), snakemake.output.table1[0][: -len(".csv")])
write_table(per_checkpoint(df, "noise_E"), snakemake.output.table2[0][: -len(".csv")])
write_table(per_checkpoint(df, "mean_k_beta"), snakemake.output.table3[0][: -len(".csv")])
write_table(horizons(df), snakemake.output.horizon[0][: -len(".csv")])
values = load_record_values(snakemake.input)
# the paper's own count: the long runs at their last checkpoint, pooled over their edit orders
write_table(pooled_table1(values, snakemake.params.replicas, longest=True), snakemake.output.long[0][: -len(".csv")])
if snakemake.params.replicas:
    write_table(pooled_table1(values, snakemake.params.replicas), snakemake.output.orders[0][: -len(".csv")])
