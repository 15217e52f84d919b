from deltaedit.logs import to_file
from deltaedit.pipeline import stats_job

to_file(snakemake.log[0])
p = snakemake.params
stats_job(p.model, p.model, p.layers, snakemake.output[0], p.corpus, p.n_texts, p.max_len)
