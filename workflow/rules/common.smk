import yaml
from pathlib import Path

from snakemake.utils import validate


# The preset supplies every setting; config.yaml / --config keys override it one top-level key at a time.
_preset = config.get("preset", "factworld")
_preset_file = Path(workflow.basedir) / "workflow" / "presets" / f"{_preset}.yaml"
if not _preset_file.exists():
    raise ValueError(f"unknown preset {_preset!r}: no {_preset_file}")
_merged = {**yaml.safe_load(_preset_file.read_text()), **config}
config.clear()
config.update(_merged)
validate(config, schema="../schemas/config.schema.yaml")

WORLD = config["factworld"]["world"]
ARCHS = config["factworld"]["archs"]
MODELS = config["models"]
METHODS = config["methods"]
DATASETS = config["datasets"]
CKPTS = sorted(config["checkpoints"])


def _check_methods_and_hparams():
    """Unknown methods and bad hparams fail at parse time, before any job runs."""
    from deltaedit.api import load_hparams
    from deltaedit.methods import get_method

    for method in METHODS:
        get_method(method)
        for name, m in MODELS.items():
            load_hparams(method, m["hparams"])


_check_methods_and_hparams()


wildcard_constraints:
    world="[a-z]+",
    arch="|".join(ARCHS),
    model="|".join(MODELS),
    method="|".join(METHODS),
    dataset="|".join(DATASETS),
    n=r"\d+",


def world_dir(model):
    return f"resources/factworld/{MODELS[model]['factworld']}"


def model_dir(wildcards):
    m = MODELS[wildcards.model]
    return f"resources/factworld/{m['factworld']}/models/{m['arch']}"


def records_file(wildcards):
    return f"{world_dir(wildcards.model)}/{wildcards.dataset}.json"


def corpus_file(wildcards):
    return f"{world_dir(wildcards.model)}/background.txt"


def stats_layers(model):
    """Union of the layers whose key statistics any configured method needs for this model."""
    from deltaedit.api import load_hparams
    from deltaedit.methods import get_method

    layers = set()
    for method in METHODS:
        layers |= set(get_method(method).stats_layers(load_hparams(method, MODELS[model]["hparams"])))
    return sorted(layers)


def factworld_targets():
    return [
        f"results/factworld/{WORLD}/summary.json",
        f"results/factworld/{WORLD}/summary.md",
        f"results/factworld/{WORLD}/editability.png",
    ]


def score_files():
    return expand(
        "results/scores/{model}/{dataset}/{method}/{n}.json",
        model=MODELS,
        dataset=DATASETS,
        method=METHODS,
        n=CKPTS,
    )
