"""The workflow's run plan: the validated config turned into what the rules need (docs/architecture.md).

`load_config` overlays a preset with the user's keys and checks the result against the schema;
`Plan(config)` then answers every question a rule file asks — which runs exist (methods, variants, order
replicas), which checkpoints each run writes (long runs go further), the hparams of a run on a model,
the files of every stage, the benchmark file of every job, and the GPUs and load settings of a job. It
reads no wildcards and knows no Snakemake object, so it is tested without running Snakemake.
"""
from __future__ import annotations

import re
import sys
from functools import cached_property
from pathlib import Path

import jsonschema
import yaml

from deltaedit.api import load_hparams
from deltaedit.core.templates import template_set_name
from deltaedit.hparams import parse_value
from deltaedit.methods import get_method, load_method_modules
from deltaedit.runner import replica_name
from deltaedit.workflow.placement import PUBLISHED, Placement, placement_plan, published_sizes

PAPER_MODEL = {"gpt2": "gpt2-xl", "llama": "llama3-8b"}     # the paper's model of each fact-world architecture
OFFLINE_CORPUS = "resources/corpus/offline.txt"              # rule offline_corpus (stats corpus: offline)
ANALYSIS_PART = "results/analysis/{model}/{dataset}/{method}.npz"  # a run's part of rule analysis (rule score_run)
SCORE_FILE = "results/scores/{model}/{dataset}/{method}/{n}.json"  # one checkpoint of a run (rule score_run)
EDIT_LOG = "results/edits/{model}/{dataset}/{method}/edits.jsonl"   # a run's log, one row per edit (rule edit_run)
STATS_FILE = "resources/stats/{model}.pt"                    # C0 of a model (rule key_stats)
REFERENCE_FILE = "resources/reference/{model}/{dataset}.json"  # the unedited model's o^c (rule reference_predictions)


def _typed(value, nested: bool = False):
    """Values nested in a --config key (a list, a mapping) reach Snakemake as text ("9", "50.0": it reads them
    with YAML's base loader); read them as command-line values (`hparams.parse_value`: 5e-4 is a number).
    Top-level values Snakemake types."""
    if isinstance(value, dict):
        return {k: _typed(v, True) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v, True) for v in value]
    return parse_value(value) if nested and isinstance(value, str) else value


def _preset(root: Path, name: str, seen: tuple = ()) -> dict:
    """A preset's keys; a preset with `extends: <other>` is that preset with its own keys replacing the other's."""
    preset_file = root / "workflow" / "presets" / f"{name}.yaml"
    if not preset_file.exists() or name in seen:
        raise ValueError(f"unknown preset {name!r}: no {preset_file}" if name not in seen
                         else f"preset {name!r} extends itself (through {' -> '.join(seen)})")
    keys = yaml.safe_load(preset_file.read_text())
    parent = keys.pop("extends", None)
    return {**_preset(root, parent, seen + (name,)), **keys} if parent else keys


def load_config(given: dict, root: str | Path) -> dict:
    """The preset `given["preset"]` (root/workflow/presets/<preset>.yaml) with every top-level key of `given`
    replacing the preset's, validated against root/workflow/schemas/config.schema.yaml. `given` is not
    changed. A bad preset, key, type or value raises ValueError naming it."""
    root = Path(root)
    preset = given.get("preset", "factworld")
    merged = {**_preset(root, preset), **{k: _typed(v) for k, v in given.items()}, "preset": preset}
    schema = yaml.safe_load((root / "workflow" / "schemas" / "config.schema.yaml").read_text())
    try:
        jsonschema.validate(merged, schema)
    except jsonschema.ValidationError as e:
        where = ".".join(map(str, e.absolute_path)) or "config"
        raise ValueError(f"invalid config at {where}: {e.message}") from None
    return merged


def _one_of(names: list[str]) -> str:
    """A wildcard constraint matching exactly `names` (none: a pattern that matches nothing)."""
    return "|".join(map(re.escape, names)) or "(?!)"


class Plan:
    """Every run, checkpoint, file and resource of one validated config."""

    def __init__(self, config: dict):
        self.config = config
        fw = config.get("factworld")              # absent for hub-only presets (paper)
        self.world = fw["world"] if fw else None
        self.archs = fw["archs"] if fw else ["gpt2"]
        self.models: dict = config["models"]
        self.datasets: list[str] = config["datasets"]
        self.method_modules: list[str] = config.get("method_modules", [])
        self.external: dict = config.get("external_methods", {})   # method -> rule file writing the checkpoints
        self.methods: list[str] = config["methods"]                # registered methods, run by rule edit_run
        self.variants: dict = config.get("variants", {})           # name -> {method, overrides, per_model}
        orders = config.get("order_replicas") or {"runs": [], "seeds": []}
        self.order_runs, self.order_seeds = orders["runs"], orders["seeds"]
        # the same run in other edit orders: "<run>-o<seed>"; a run the config does not run has no replicas
        self.replicas = {replica_name(run, seed): (run, seed) for run in self.order_runs
                         if run in self.methods + list(self.variants) for seed in self.order_seeds}
        self.replica_datasets: list[str] = orders.get("datasets", self.datasets)   # where the replicas run
        self.runs = self.methods + list(self.variants) + list(self.replicas)   # what rule edit_run runs
        self.all_methods = self.runs + sorted(self.external)                  # what scoring and tables see
        self.ckpts = sorted(config["checkpoints"])
        self.long = config.get("long_runs")
        self.long_ckpts = sorted(set(self.ckpts) | set(self.long["checkpoints"])) if self.long else self.ckpts
        self.n_max = self.long_ckpts[-1]          # the most edits of any run: every run draws from these records
        self.eta = config.get("eta_sweep") or {"etas": []}
        general = config["general"]   # which runs on which datasets get lm-eval (default: all of them)
        self.general_runs: list[str] = general.get("runs", self.all_methods) if general["tasks"] else []
        self.general_datasets: list[str] = general.get("datasets", self.datasets)
        # the edit and scoring rules are left out: their files are inputs that exist (docs/workflow.md)
        self.from_scores: bool = config.get("from_scores", False)
        self.job_threads: int = config.get("job_threads", 1)   # of each editing and scoring job
        self._hparams: dict = {}
        self._placement: dict = {}
        self.check()

    # --- runs -------------------------------------------------------------------------------------------
    def check(self) -> None:
        """Unknown methods, clashing names and bad hparams raise ValueError, before any job runs."""
        load_method_modules(self.method_modules)
        clash = set(self.methods) & set(self.external) | set(self.variants) & (set(self.methods) | set(self.external))
        if clash:
            raise ValueError(f"names {sorted(clash)} are used twice among methods, variants and external_methods")
        for method in self.methods:
            get_method(method)
        for name, v in self.variants.items():
            try:
                get_method(v["method"])
            except KeyError as e:
                raise ValueError(f"variant {name!r}: {e.args[0]}") from None
            if not v["overrides"] and not any(v.get("per_model", {}).values()):
                raise ValueError(f"variant {name!r} overrides nothing: give overrides or per_model")
            unknown = sorted(set(v.get("per_model", {})) - set(self.models))
            if unknown:
                raise ValueError(f"variant {name!r}: per_model names {unknown}, not among the models {sorted(self.models)}")
        for run in self.runs:
            for model in self.models:
                self.hparams(run, model)
        for key, listed, runs in (("long_runs.methods", (self.long or {}).get("methods", []), self.runs),
                                  ("order_replicas.runs", self.order_runs, self.runs),
                                  ("general.runs", self.general_runs, self.all_methods)):
            unused = sorted(set(listed) - set(runs))
            if unused:   # not an error: a --config that drops a method or variant drops its long run / replicas too
                print(f"{key}: {unused} are not among the runs of this config; nothing for them", file=sys.stderr)
        for key, listed in (("order_replicas.datasets", self.replica_datasets),
                            ("general.datasets", self.general_datasets)):
            if set(listed) - set(self.datasets):
                raise ValueError(f"{key}: {sorted(set(listed) - set(self.datasets))} are not among the datasets {self.datasets}")
        if self.config["order_seed"] in self.order_seeds:
            raise ValueError(f"order_replicas.seeds: {self.config['order_seed']} is the order_seed of the runs themselves")

    def replica_of(self, run: str) -> str:
        """The run an order replica repeats; any other run is its own."""
        return self.replicas[run][0] if run in self.replicas else run

    def order_seed(self, run: str):
        """The edit order of a run: a replica's seed, else config order_seed."""
        return self.replicas[run][1] if run in self.replicas else self.config["order_seed"]

    def base_method(self, run: str) -> str:
        """The registered method of a run: itself, a variant's `method`, or that of the run a replica repeats."""
        run = self.replica_of(run)
        return self.variants[run]["method"] if run in self.variants else run

    def overrides(self, run: str, model: str) -> dict:
        """A variant's hparams overrides on `model`: `overrides`, then its `per_model` entry for the model."""
        run = self.replica_of(run)
        if run not in self.variants:
            return {}
        v = self.variants[run]
        return {**v["overrides"], **v.get("per_model", {}).get(model, {})}

    def hparams(self, run: str, model: str):
        """A run's hparams on a model (a variant's overrides applied and checked), loaded once."""
        if (run, model) not in self._hparams:
            self._hparams[run, model] = load_hparams(self.base_method(run), self.models[model]["hparams"],
                                                     self.overrides(run, model))
        return self._hparams[run, model]

    def runs_on(self, dataset: str, runs: list[str] | None = None) -> list[str]:
        """`runs` (default every run and external method) that run on `dataset`: order replicas only on
        config order_replicas.datasets."""
        runs = self.all_methods if runs is None else runs
        return [r for r in runs if r not in self.replicas or dataset in self.replica_datasets]

    def is_long(self, model: str, dataset: str, run: str) -> bool:
        """A run the config runs and long_runs lists (order replicas of a long run are long too)."""
        lr = self.long
        return (bool(lr) and model in lr["models"] and dataset in lr["datasets"] and run in self.runs
                and self.replica_of(run) in lr["methods"])

    def checkpoints(self, model: str, dataset: str, run: str) -> list[int]:
        return self.long_ckpts if self.is_long(model, dataset, run) else self.ckpts

    def has_general(self, dataset: str, run: str) -> bool:
        """lm-eval runs on every checkpoint of this run (config general: tasks, and its runs and datasets)."""
        return run in self.general_runs and dataset in self.general_datasets

    def long_constraints(self) -> dict:
        """Wildcard constraints that match exactly the long runs (the `use rule ... with:` of edit/eval)."""
        return {"model": _one_of(self.long["models"]), "dataset": _one_of(self.long["datasets"]),
                "method": _one_of(self._long_runs())}

    def _long_runs(self) -> list[str]:
        """The runs that go on (long_runs.methods and their order replicas), on the listed models and datasets."""
        return [m for m in self.runs if self.replica_of(m) in self.long["methods"]]

    def general_constraints(self, long: bool = False) -> dict:
        """Wildcard constraints that match exactly the runs scored with general capability (rule
        score_run_general), and of those the long runs (`long`)."""
        if not long:
            return {"dataset": _one_of(self.general_datasets), "method": _one_of(self.general_runs)}
        return {**self.long_constraints(),
                "dataset": _one_of([d for d in self.general_datasets if d in self.long["datasets"]]),
                "method": _one_of([r for r in self.general_runs if r in self._long_runs()])}

    def _model_runs(self, model: str) -> list:
        """(method object, hparams) of every run on `model`, the η sweep's DeltaEdit included."""
        runs = self.runs + (["deltaedit"] if self.eta["etas"] and "deltaedit" not in self.runs else [])
        return [(get_method(self.base_method(r)), self.hparams(r, model)) for r in runs]

    def stats_layers(self, model: str) -> list[int]:
        """Union of the layers whose key statistics C0 any run on the model needs."""
        return sorted({l for m, hp in self._model_runs(model) for l in m.stats_layers(hp)})

    def edited_layers(self, model: str) -> list[int]:
        """Every layer any run edits on the model: kept in fp32 when the model is not."""
        return sorted({l for m, hp in self._model_runs(model) for l in m.edited_layers(hp)})

    def template_sets(self) -> list[str]:
        """Names of the context-template sets the runs use (one file per model and set)."""
        return sorted({template_set_name(m.templates) for model in self.models for m, _ in self._model_runs(model)})

    # --- models and their inputs ------------------------------------------------------------------------
    def is_pretrained(self, model: str) -> bool:
        """A hub or built-in model (real text, real data); the others are fact-world models the workflow trains."""
        return "hub" in self.models[model] or "builtin" in self.models[model]

    def world_dir(self, model: str) -> str:
        return f"resources/factworld/{self.models[model]['factworld']}"

    def model_ref(self, model: str) -> str:
        """What a job loads: a hub id, a built-in name (deltaedit.sources finds its dequantised copy), or the
        fact-world model's directory."""
        m = self.models[model]
        if self.is_pretrained(model):
            return m.get("hub") or m["builtin"]
        return f"{self.world_dir(model)}/models/{m['arch']}"

    def model_inputs(self, model: str) -> list[str]:
        """The model as a job's input: the directory the workflow trains, a built-in model's record (rule
        builtin_model dequantises it first), nothing for a hub id."""
        if "builtin" in self.models[model]:
            return [f"resources/models/{model}.json"]
        return [] if self.is_pretrained(model) else [self.model_ref(model)]

    def data_source(self, dataset: str):
        """A pretrained model's records of `dataset`: a canonical file name, or {files, label} of local files."""
        data = self.config.get("data") or {}
        if dataset not in data:
            raise ValueError(f"config data has no entry for {dataset!r}: pretrained models need one")
        return data[dataset]

    def records_file(self, model: str, dataset: str) -> str:
        if not self.is_pretrained(model):
            return f"{self.world_dir(model)}/{dataset}.json"
        src = self.data_source(dataset)
        return f"resources/data/{src}" if isinstance(src, str) else f"resources/data/{dataset}.local.json"

    def data_label(self, dataset: str) -> str:
        """What the records are, as tables and the front page name them (a local source's label)."""
        src = (self.config.get("data") or {}).get(dataset)
        return src["label"] if isinstance(src, dict) else dataset

    def corpus_inputs(self, model: str) -> list[str]:
        """C0's text as an input: the world's background text for fact-world models; for pretrained models
        the offline corpus or a named file (nothing for wikipedia, streamed, or self, sampled)."""
        if not self.is_pretrained(model):
            return [f"{self.world_dir(model)}/background.txt"]
        corpus = self.config["stats"].get("corpus", "wikipedia")
        return [] if corpus in ("wikipedia", "self") else [OFFLINE_CORPUS if corpus == "offline" else corpus]

    def corpus_ref(self, model: str) -> str:
        inputs = self.corpus_inputs(model)
        return inputs[0] if inputs else self.config["stats"].get("corpus", "wikipedia")

    def templates_file(self, model: str, run: str) -> str:
        """The context templates of a run: one file per model and the method's template set (ROME has its own)."""
        return f"resources/templates/{model}/{template_set_name(get_method(self.base_method(run)).templates)}.json"

    def pretrain_threads(self, world: str) -> int:
        """The threads a fact world's models train on: the world's own (part of its models, build.PRESETS)."""
        from deltaedit.factworld.build import get_preset

        return get_preset(world).train.threads

    def paper_widths(self) -> dict:
        """Fig. 1's second axis: {model: [hidden width, the paper model's, its name]} of the fact-world and
        built-in models (3,000 paper edits on width D correspond to 3,000 x d / D edits on width d)."""
        from deltaedit.factworld.build import get_preset
        from deltaedit.sources import BUILTIN

        widths = {}
        for model, m in self.models.items():
            if "factworld" in m:
                arch, d = m["arch"], get_preset(m["factworld"]).sizes[m["arch"]].d_model
            elif "builtin" in m:
                arch, d = BUILTIN[m["builtin"]].arch, BUILTIN[m["builtin"]].d_model
            else:
                continue
            widths[model] = [d, published_sizes(PAPER_MODEL[arch]).d, PAPER_MODEL[arch]]
        return widths

    # --- placement ----------------------------------------------------------------------------------------
    def dtype(self, model: str) -> str:
        """config `dtype: {model: ...}` (a profile can set it), else the model's own `dtype`, else float32."""
        return (self.config.get("dtype") or {}).get(model) or self.models[model].get("dtype", "float32")

    def placement(self, model: str, rule: str) -> Placement:
        """GPUs of a job: one, or as many cards of config `gpu_mem_gb` as the memory estimate of (rule, model)
        needs (published sizes of GPT2-XL / Llama3-8B; fact-world models always fit one)."""
        if (model, rule) not in self._placement:
            name, gib = self.models[model]["hparams"], self.config.get("gpu_mem_gb")
            if not gib or not self.is_pretrained(model) or name not in PUBLISHED:
                self._placement[model, rule] = Placement(1, 0.0, None)
            else:
                self._placement[model, rule] = placement_plan(published_sizes(name), gib, rule, self.dtype(model),
                                                              edited_layers=len(self.edited_layers(model)))
        return self._placement[model, rule]

    def load_spec(self, model: str, rule: str) -> dict:
        """A job's `load` param: dtype, fp32 layers and placement of its model (workflow.jobs.load)."""
        p = self.placement(model, rule)
        return {"dtype": self.dtype(model), "fp32_layers": self.edited_layers(model), "gpus": p.n_gpus,
                "max_memory_gib": round(p.max_memory_gib, 1)}

    # --- files of every stage -----------------------------------------------------------------------------
    def per_run_files(self, pattern: str, general: bool = False) -> list[str]:
        """`pattern` ({model}, {dataset}, {method}, {n}) for every checkpoint of every run (`general`: of every
        run with general capability)."""
        return [pattern.format(model=model, dataset=dataset, method=method, n=n)
                for model in self.models for dataset in self.datasets for method in self.runs_on(dataset)
                if not general or self.has_general(dataset, method) for n in self.checkpoints(model, dataset, method)]

    def run_deltas(self, model: str, dataset: str, run: str) -> list[str]:
        return [f"results/edits/{model}/{dataset}/{run}/ckpt_{n}/deltas.safetensors"
                for n in self.checkpoints(model, dataset, run)]

    def score_files(self) -> list[str]:
        return self.per_run_files(SCORE_FILE)

    def edit_logs(self) -> list[str]:
        return [EDIT_LOG.format(model=m, dataset=d, method=r) for m in self.models for d in self.datasets
                for r in self.runs_on(d, self.runs)]

    def general_files(self) -> list[str]:
        """lm-eval results per checkpoint of the runs config general names, plus the unedited model's on their
        datasets (the reference of Figure 7)."""
        return (self.per_run_files("results/general/{model}/{dataset}/{method}/{n}.json", general=True)
                + [f"results/general/{m}/{d}/unedited.json" for m, d in self.general_pairs()])

    @property
    def general_tasks(self) -> dict:
        """What a job evaluates (config general without the runs and datasets it applies to)."""
        return {k: v for k, v in self.config["general"].items() if k not in ("runs", "datasets")}

    def general_pairs(self) -> list[tuple[str, str]]:
        """(model, dataset) of every run with general capability: rule general_unedited's jobs."""
        return [(m, d) for m in self.models for d in self.datasets if any(self.has_general(d, r) for r in self.runs_on(d))]

    def analysis_spec(self) -> dict:
        """What rule analysis shows (Figures 4b/8, Tables 4-5) and every scoring job contributes: each run at the
        last of the common checkpoints, `n_prompts` factual prompts, `n_cases` facts in the config's edit order."""
        a = self.config["analysis"]
        return {"n": self.ckpts[-1], "n_prompts": a["n_prompts"], "n_cases": a["n_cases"],
                "order_seed": self.config["order_seed"]}

    def run_outputs(self) -> list[str]:
        """What the edit and scoring rules write and the later rules read (not the checkpoints' deltas): with
        `from_scores` these must exist."""
        parts = [ANALYSIS_PART.format(model=m, dataset=d, method=r)
                 for m in self.models for d in self.datasets for r in self.runs_on(d)]
        general = [f for f in self.general_files() if not f.endswith("/unedited.json")]   # rule general_unedited stays
        return self.score_files() + self.edit_logs() + general + parts + self.eta_score_files()

    def eta_score_files(self) -> list[str]:
        e = self.eta
        return [f"results/sweep_scores/eta/{e['model']}/{e['dataset']}/{eta}/{self.ckpts[-1]}.json" for eta in e["etas"]]

    @cached_property
    def claims(self) -> bool:
        """The paper's claims (rule claims) are about CounterFact columns."""
        return "counterfact" in self.datasets

    @property
    def claims_protocol(self) -> str:
        """Which criteria rule claims applies (config claims_protocol; results/PROTOCOL.md)."""
        return self.config.get("claims_protocol", "v1")

    def claims_params(self) -> dict:
        """Per model: the paper model whose Table 1 it is compared with (a fact-world model: the paper's model of
        its architecture; a hub model: itself, where it is one of the paper's), and AlphaEdit's null-space settings."""
        widths = self.paper_widths()
        out = {}
        for model in self.models:
            family = widths[model][2] if model in widths else model if model in PAPER_MODEL.values() else None
            hp = self.hparams("alphaedit", model) if "alphaedit" in self.runs else None
            out[model] = dict(family=family, nullspace=None if hp is None else dict(
                layers=list(hp.layers), threshold=hp.nullspace_threshold, relative=hp.nullspace_relative))
        return out

    def summary(self) -> dict:
        """What was run, as the report's front page states it."""
        lr = self.long and {**self.long, "methods": [m for m in self.long["methods"] if m in self.runs]}
        return {"preset": self.config["preset"], "models": list(self.models), "methods": self.all_methods,
                "datasets": [d if self.data_label(d) == d else f"{d} ({self.data_label(d)})" for d in self.datasets],
                "checkpoints": self.ckpts, "long_runs": lr or None,
                "eta_sweep": self.eta if self.eta["etas"] else None, "general": self.config["general"]["tasks"],
                "general_on": None if (self.general_runs, self.general_datasets) == (self.all_methods, self.datasets)
                else {"runs": self.general_runs, "datasets": self.general_datasets},
                "t-SNE prompts": self.config["analysis"]["n_prompts"]}

    def targets(self) -> list[str]:
        """What `snakemake` builds besides the cost table (rule all), which reads the jobs that made them."""
        fw = [f"results/factworld/{self.world}/{f}" for f in ("summary.json", "summary.md", "editability.png")]
        models_x_data = [f"{m}_{d}" for m in self.models for d in self.datasets]
        return [*(fw if self.world else []), "results/tables/table1.csv", "results/figures/efficacy_top.png",
                "results/report/front.rst",
                *(["results/claims.json"] if self.claims else []),
                *(["results/tables/general_f1.csv", "results/figures/general_f1.png"] if self.general_files() else []),
                *(f"results/figures/tsne/{md}.png" for md in models_x_data),
                *(["results/figures/eta_sweep.png"] if self.eta["etas"] else [])]

    def benchmark_files(self) -> list[str]:
        """The benchmark file of every benchmarked job of the DAG (rule costs reads those that exist).
        key_stats has none: Snakemake's between-workflow cache (`cache:`) excludes a benchmark file."""
        md = [f"{m}_{d}" for m in self.models for d in self.datasets]
        runs = [(f"{m}_{d}", r) for m in self.models for d in self.datasets for r in self.runs_on(d)]
        files = [] if not self.world else (
            [f"benchmarks/factworld_files/{self.world}.tsv"]
            + [f"benchmarks/{rule}/{self.world}_{a}.tsv" for rule in ("factworld_pretrain", "factworld_check")
               for a in self.archs])
        files += [f"benchmarks/context_templates/{m}_{t}.tsv" for m in self.models for t in self.template_sets()]
        files += [f"benchmarks/{rule}/{x}.tsv" for rule in ("reference_predictions", "analysis") for x in md]
        files += [f"benchmarks/edit_run/{x}_{r}.tsv" for x, r in runs if r in self.runs]
        files += [f"benchmarks/score_run/{x}_{r}.tsv" for x, r in runs]
        files += [f"benchmarks/{rule}/all.tsv" for rule in ("make_tables", "plot_figures", "report_front")]
        files += ["benchmarks/claims/all.tsv"] if self.claims else []
        general = [f"benchmarks/general_unedited/{m}_{d}.tsv" for m, d in self.general_pairs()]
        files += general + (["benchmarks/general_report/all.tsv"] if general else [])
        if self.eta["etas"]:
            e, n = self.eta, self.ckpts[-1]
            files += [f"benchmarks/{rule}/{e['model']}_{e['dataset']}_{eta}_{n}.tsv"
                      for rule in ("eta_run", "score_eta") for eta in e["etas"]]
            files += ["benchmarks/eta_figure/all.tsv"]
        return files
