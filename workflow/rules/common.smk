import sys
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
for _key, _list in (("long_runs", "checkpoints"), ("order_replicas", "seeds")):
    if isinstance(config.get(_key), dict) and isinstance(config[_key].get(_list), list):
        # --config hands nested values over as text ("9"); a preset file gives them typed
        config[_key][_list] = [yaml.safe_load(c) if isinstance(c, str) else c for c in config[_key][_list]]
validate(config, schema="../schemas/config.schema.yaml")

FACTWORLD = config.get("factworld")            # absent for hub-only presets (paper)
WORLD = FACTWORLD["world"] if FACTWORLD else None
ARCHS = FACTWORLD["archs"] if FACTWORLD else ["gpt2"]
MODELS = config["models"]
METHOD_MODULES = config.get("method_modules", [])       # files that register extra methods (README "Extending")
EXTERNAL = config.get("external_methods", {})          # method -> rule file that writes the checkpoint contract
METHODS = config["methods"]                            # registered methods, run by rule edit_run
VARIANTS = config.get("variants", {})                  # name -> {method, overrides}: a row of its own, same rules
# The same run in other edit orders (config order_replicas): "<run>-o<seed>", pooled in the tables' CIs over
# orders and the figures' bands. A run the config does not run has no replicas (a --config may drop it).
_ORDERS = config.get("order_replicas") or {"runs": [], "seeds": []}
REPLICAS = {f"{run}-o{seed}": (run, seed) for run in _ORDERS["runs"] if run in METHODS + list(VARIANTS)
            for seed in _ORDERS["seeds"]}
RUNS = METHODS + list(VARIANTS) + list(REPLICAS)       # what rule edit_run runs
ALL_METHODS = RUNS + sorted(EXTERNAL)                  # what scoring, tables and figures see
DATASETS = config["datasets"]
CKPTS = sorted(config["checkpoints"])
# Runs that go on past `checkpoints` to where superimposed noise shows (config long_runs, Fig. 1): every listed
# model x dataset x run, edited to the union of both checkpoint lists. Tables compare methods at CKPTS[-1].
LONG = config.get("long_runs")
LONG_CKPTS = sorted(set(CKPTS) | set(LONG["checkpoints"])) if LONG else CKPTS
N_MAX = LONG_CKPTS[-1]                                 # the most edits of any run (reference, lm-eval facts)
ETA = config.get("eta_sweep") or {"etas": []}           # Figure 9


def _check_methods_and_hparams():
    """Unknown methods and bad hparams fail at parse time, before any job runs."""
    from deltaedit.methods import get_method, load_method_modules

    load_method_modules(METHOD_MODULES)
    clash = set(METHODS) & set(EXTERNAL) | set(VARIANTS) & (set(METHODS) | set(EXTERNAL))
    if clash:
        raise ValueError(f"names {sorted(clash)} are used twice among methods, variants and external_methods")
    for method in METHODS:
        get_method(method)
    for name, v in VARIANTS.items():
        try:
            get_method(v["method"])
        except KeyError as e:
            raise ValueError(f"variant {name!r}: {e.args[0]}") from None
        if not v["overrides"] and not any(v.get("per_model", {}).values()):
            raise ValueError(f"variant {name!r} overrides nothing: give overrides or per_model")
        unknown = sorted(set(v.get("per_model", {})) - set(MODELS))
        if unknown:
            raise ValueError(f"variant {name!r}: per_model names {unknown}, not among the models {sorted(MODELS)}")
    for run in RUNS:
        for model in MODELS:
            hparams_for(run, model)
    for key, listed in (("long_runs.methods", (LONG or {}).get("methods", [])), ("order_replicas.runs", _ORDERS["runs"])):
        unused = sorted(set(listed) - set(RUNS))
        if unused:   # not an error: a --config that drops a method or variant drops its long run / replicas too
            print(f"{key}: {unused} are not among the runs of this config; nothing for them", file=sys.stderr)
    if config["order_seed"] in _ORDERS["seeds"]:
        raise ValueError(f"order_replicas.seeds: {config['order_seed']} is the order_seed of the runs themselves")


def replica_of(run):
    """The run an order replica repeats; any other run is its own."""
    return REPLICAS[run][0] if run in REPLICAS else run


def run_order_seed(run):
    """The edit order of a run: a replica's seed, else config order_seed."""
    return REPLICAS[run][1] if run in REPLICAS else config["order_seed"]


def is_long(model, dataset, method):
    """A long run is one the config runs and long_runs lists (a --config that drops a method drops its long run);
    the order replicas of a long run are long too."""
    return (bool(LONG) and model in LONG["models"] and dataset in LONG["datasets"] and method in RUNS
            and replica_of(method) in LONG["methods"])


def run_ckpts(model, dataset, method):
    """The checkpoints of one run: `checkpoints`, or for a long run (config long_runs) also the further ones."""
    return LONG_CKPTS if is_long(model, dataset, method) else CKPTS


def long_constraints():
    """Wildcard constraints that match exactly the long runs (the `use rule ... with:` in edit/eval)."""
    runs = [m for m in RUNS if replica_of(m) in LONG["methods"]] or ["(?!)"]      # (?!) matches nothing
    return {"model": "|".join(LONG["models"]), "dataset": "|".join(LONG["datasets"]), "method": "|".join(runs)}


HPARAMS = {}   # (method, model) -> loaded hparams, read once while the DAG is built


def base_method(run):
    """The registered method of a run: itself, a variant's `method`, or that of the run a replica repeats."""
    run = replica_of(run)
    return VARIANTS[run]["method"] if run in VARIANTS else run


def run_overrides(run, model):
    """A variant's overrides on `model`: `overrides`, then its `per_model` entry for the model (a value that
    differs per model, e.g. L2 / 10). Strings are read as YAML scalars, since --config hands nested values
    over as text ("50.0"), while a preset file gives them typed."""
    run = replica_of(run)
    if run not in VARIANTS:
        return {}
    merged = {**VARIANTS[run]["overrides"], **VARIANTS[run].get("per_model", {}).get(model, {})}
    return {k: yaml.safe_load(v) if isinstance(v, str) else v for k, v in merged.items()}


def hparams_for(run, model):
    """A run's hparams (a variant's overrides applied and checked), loaded once while the DAG is built."""
    from deltaedit.api import load_hparams

    key = (run, model)
    if key not in HPARAMS:
        HPARAMS[key] = load_hparams(base_method(run), MODELS[model]["hparams"], run_overrides(run, model))
    return HPARAMS[key]


_check_methods_and_hparams()


wildcard_constraints:
    world="[a-z]+",
    arch="|".join(ARCHS),
    model="|".join(MODELS),
    method="|".join(ALL_METHODS),
    dataset="|".join(DATASETS),
    n=r"\d+",


from deltaedit.pipeline import HUB_TEMPLATE_WORDS


# A model is either a fact-world model the workflow trains ({factworld, arch, hparams}) or a hub id
# ({hub, hparams}) that the jobs load by name. Scripts get `params.model` (a directory or a hub id);
# `input.model` is the dependency, empty for hub models.
def is_hub(model):
    return "hub" in MODELS[model]


def world_dir(model):
    return f"resources/factworld/{MODELS[model]['factworld']}"


def model_ref(wildcards):
    m = MODELS[wildcards.model]
    return m["hub"] if is_hub(wildcards.model) else f"{world_dir(wildcards.model)}/models/{m['arch']}"


def model_dir(wildcards):
    return [] if is_hub(wildcards.model) else model_ref(wildcards)


def records_file(wildcards):
    if is_hub(wildcards.model):
        return f"resources/data/{config['data'][wildcards.dataset]}"
    return f"{world_dir(wildcards.model)}/{wildcards.dataset}.json"


def corpus_file(wildcards):
    """C0's text: the world's background corpus, or nothing for hub models (Wikipedia, streamed)."""
    return [] if is_hub(wildcards.model) else f"{world_dir(wildcards.model)}/background.txt"


def corpus_ref(wildcards):
    return "wikipedia" if is_hub(wildcards.model) else corpus_file(wildcards)


def hparams_values(wildcards, method=None):
    """The resolved hparams of a run, as a param: editing a YAML file reruns the runs that use it."""
    return hparams_for(method or wildcards.method, wildcards.model).to_dict()


def templates_file(wildcards, method=None):
    """The context templates of a run: one file per model and the method's template set (ROME has its own)."""
    from deltaedit.core.templates import template_set_name
    from deltaedit.methods import get_method

    tset = template_set_name(get_method(base_method(method or wildcards.method)).templates)
    return f"resources/templates/{wildcards.model}/{tset}.json"


def _model_runs(model):
    """(method object, hparams) of every run on `model`, the η sweep's DeltaEdit included."""
    from deltaedit.methods import get_method

    runs = RUNS + (["deltaedit"] if ETA["etas"] and "deltaedit" not in RUNS else [])
    return [(get_method(base_method(run)), hparams_for(run, model)) for run in runs]


def stats_layers(model):
    """Union of the layers whose key statistics any configured run needs for this model."""
    return sorted({l for m, hp in _model_runs(model) for l in m.stats_layers(hp)})


def factworld_targets():
    if not FACTWORLD:
        return []
    return [
        f"results/factworld/{WORLD}/summary.json",
        f"results/factworld/{WORLD}/summary.md",
        f"results/factworld/{WORLD}/editability.png",
    ]


def per_run_files(pattern):
    """`pattern` ({model}, {dataset}, {method}, {n}) for every checkpoint of every run."""
    return [pattern.format(model=model, dataset=dataset, method=method, n=n)
            for model in MODELS for dataset in DATASETS for method in ALL_METHODS
            for n in run_ckpts(model, dataset, method)]


def general_files():
    """lm-eval results per checkpoint plus the unedited model's (the reference of Figure 7)."""
    if not config["general"]["tasks"]:
        return []
    per_ckpt = per_run_files("results/general/{model}/{dataset}/{method}/{n}.json")
    return per_ckpt + expand("results/general/{model}/{dataset}/unedited.json", model=MODELS, dataset=DATASETS)


def eta_score_files():
    return expand("results/sweep_scores/eta/{model}/{dataset}/{eta}/{n}.json", model=ETA.get("model"),
                  dataset=ETA.get("dataset"), eta=ETA["etas"], n=CKPTS[-1])


def eta_targets():
    return ["results/figures/eta_sweep.png"] if ETA["etas"] else []


def analysis_targets():
    return expand("results/figures/tsne/{model}_{dataset}.png", model=MODELS, dataset=DATASETS)


def general_report_targets():
    return ["results/tables/general_f1.csv", "results/figures/general_f1.png"] if general_files() else []


def score_files():
    return per_run_files("results/scores/{model}/{dataset}/{method}/{n}.json")


def run_deltas(wildcards):
    """The checkpoints' deltas of the run a job scores."""
    return [f"results/edits/{wildcards.model}/{wildcards.dataset}/{wildcards.method}/ckpt_{n}/deltas.safetensors"
            for n in run_ckpts(wildcards.model, wildcards.dataset, wildcards.method)]


def paper_widths():
    """Fig. 1's second axis: {model: [hidden width, the paper model's, its name]} of the fact-world models
    (3,000 paper edits on width D correspond to 3,000 x d / D edits on width d, issue on the paper's findings)."""
    from deltaedit.factworld.build import get_preset
    from deltaedit.placement import published_sizes

    paper = {"gpt2": "gpt2-xl", "llama": "llama3-8b"}
    return {model: [get_preset(m["factworld"]).sizes[m["arch"]].d_model, published_sizes(paper[m["arch"]]).d,
                    paper[m["arch"]]] for model, m in MODELS.items() if not is_hub(model)}


def template_sets():
    """Names of the context-template sets the configured runs use (one file per model and set)."""
    from deltaedit.core.templates import template_set_name

    return sorted({template_set_name(m.templates) for model in MODELS for m, _ in _model_runs(model)})


def benchmark_files():
    """Every benchmarked job of the DAG (README "Where the time goes"): rule -> its benchmark files."""
    fw = [] if not FACTWORLD else (
        [f"benchmarks/factworld_files/{WORLD}.tsv"]
        + expand("benchmarks/{rule}/{world}_{arch}.tsv", rule=["factworld_pretrain", "factworld_check"],
                 world=WORLD, arch=ARCHS))
    # key_stats is not benchmarked: Snakemake's between-workflow cache (`cache:`) excludes a benchmark file
    files = fw + expand("benchmarks/context_templates/{model}_{tset}.tsv", model=MODELS, tset=template_sets())
    files += expand("benchmarks/{rule}/{model}_{dataset}.tsv", rule=["reference_predictions", "analysis"],
                    model=MODELS, dataset=DATASETS)
    files += expand("benchmarks/edit_run/{model}_{dataset}_{method}.tsv", model=MODELS, dataset=DATASETS, method=RUNS)
    files += expand("benchmarks/score_run/{model}_{dataset}_{method}.tsv", model=MODELS, dataset=DATASETS,
                    method=ALL_METHODS)
    files += expand("benchmarks/{rule}/all.tsv", rule=["make_tables", "plot_figures"])
    files += ["benchmarks/claims/all.tsv"] if claims_targets() else []
    if general_files():
        files += expand("benchmarks/general_unedited/{model}_{dataset}.tsv", model=MODELS, dataset=DATASETS)
        files += ["benchmarks/general_report/all.tsv"]
    if ETA["etas"]:
        files += expand("benchmarks/{rule}/{model}_{dataset}_{eta}_{n}.tsv", rule=["eta_run", "score_eta"],
                        model=ETA["model"], dataset=ETA["dataset"], eta=ETA["etas"], n=CKPTS[-1])
        files += ["benchmarks/eta_figure/all.tsv"]
    return files


def other_targets():
    """What `snakemake` builds besides the cost table (rule all), which reads the jobs that made them."""
    return [*factworld_targets(), "results/tables/table1.csv", "results/figures/efficacy_top.png",
            *claims_targets(), *general_report_targets(), *analysis_targets(), *eta_targets()]


def claims_targets():
    """The paper's claims (rule claims) are about CounterFact columns."""
    return ["results/claims.json"] if "counterfact" in DATASETS else []


def claims_params():
    """Per model: the paper model whose Table 1 it is compared with, and AlphaEdit's null-space settings."""
    from deltaedit.claims import PAPER_TABLE1

    widths = paper_widths()
    out = {}
    for model in MODELS:
        family = widths[model][2] if model in widths else model if model in PAPER_TABLE1 else None
        hp = hparams_for("alphaedit", model) if "alphaedit" in RUNS else None
        out[model] = dict(family=family, nullspace=None if hp is None else dict(
            layers=list(hp.layers), threshold=hp.nullspace_threshold, relative=hp.nullspace_relative))
    return out


def edit_logs():
    return expand("results/edits/{model}/{dataset}/{method}/edits.jsonl", model=MODELS, dataset=DATASETS, method=RUNS)


def model_dtype(model):
    """The weights' dtype of a model: config `dtype: {model: ...}` (a profile can set it), else the model's
    own `dtype`, else float32 (as the references run)."""
    return (config.get("dtype") or {}).get(model) or MODELS[model].get("dtype", "float32")


def edited_layers(model):
    """Every layer any configured run edits on this model: kept in fp32 when the model is not."""
    return sorted({l for m, hp in _model_runs(model) for l in m.edited_layers(hp)})


PLACEMENT = {}   # (model, rule) -> deltaedit.placement.Placement


def placement(model, rule):
    """GPUs of a job: one, or as many cards of config `gpu_mem_gb` as the memory estimate of (rule, model)
    needs (published sizes of GPT2-XL / Llama3-8B; fact-world models always fit one)."""
    from deltaedit.placement import PUBLISHED, Placement, placement_plan, published_sizes

    key = (model, rule)
    if key not in PLACEMENT:
        name, gib = MODELS[model]["hparams"], config.get("gpu_mem_gb")
        if not gib or not is_hub(model) or name not in PUBLISHED:
            PLACEMENT[key] = Placement(1, 0.0, None)
        else:
            PLACEMENT[key] = placement_plan(published_sizes(name), gib, rule, model_dtype(model),
                                            edited_layers=len(edited_layers(model)))
    return PLACEMENT[key]


def load_spec(rule):
    """The `load` param of a rule's jobs: dtype, fp32 layers and placement of the job's model."""
    def spec(wildcards):
        p = placement(wildcards.model, rule)
        return {"dtype": model_dtype(wildcards.model), "fp32_layers": edited_layers(wildcards.model),
                "gpus": p.n_gpus, "max_memory_gib": round(p.max_memory_gib, 1)}
    return spec


def gpus(rule):
    return lambda wildcards: placement(wildcards.model, rule).n_gpus
