from snakemake.utils import validate


validate(config, schema="../schemas/config.schema.yaml")

WORLD = config["factworld"]["world"]
ARCHS = config["factworld"]["archs"]


wildcard_constraints:
    world="[a-z]+",
    arch="|".join(ARCHS),


def factworld_targets():
    return [
        f"results/factworld/{WORLD}/summary.json",
        f"results/factworld/{WORLD}/summary.md",
        f"results/factworld/{WORLD}/editability.png",
    ]
