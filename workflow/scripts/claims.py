import json

from deltaedit.study import claims, verdicts
from deltaedit.study.claims import Runs, jsonable, null_space_dims
from deltaedit.logs import start_job
from deltaedit.study.figures import load_triggers
from deltaedit.stats import load_second_moments

start_job(snakemake.log[0], snakemake.threads)
models = snakemake.params.models
null = {}
for model, path in zip(snakemake.params.stats_models, snakemake.input.stats):
    c0s, _ = load_second_moments(path)
    null[model] = null_space_dims(c0s, **models[model]["nullspace"])
protocol = verdicts if snakemake.params.protocol == "v2" else claims   # config claims_protocol
result = protocol.evaluate(Runs.from_files(snakemake.input.scores, snakemake.params.replicas),
                  {m: v["family"] for m, v in models.items()}, null, load_triggers(snakemake.input.edits))
with open(snakemake.output.json, "w") as f:
    json.dump(jsonable(result), f, indent=1, allow_nan=False)
with open(snakemake.output.md, "w") as f:
    f.write(protocol.to_markdown(result) + "\n")
