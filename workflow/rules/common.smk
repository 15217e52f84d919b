# What Snakemake needs from the run plan (deltaedit.workflow.plan, unit-tested without Snakemake): the plan
# itself, wildcard constraints, and input functions that look a job's files up by its wildcards.
from pathlib import Path

from deltaedit.core.templates import HUB_TEMPLATE_WORDS
from deltaedit.workflow.plan import ANALYSIS_PART, OFFLINE_CORPUS, REFERENCE_FILE, STATS_FILE, Plan, load_config

# The preset overlaid with config.yaml / --config, checked against workflow/schemas/config.schema.yaml; a bad
# key, type, method or hparams value stops here, before any job runs, naming the culprit.
PLAN = Plan(load_config(config, workflow.basedir))
CFG = PLAN.config

# config from_scores: no edit or scoring job runs, so every file they would write must be here already
_missing = [f for f in PLAN.run_outputs() if not Path(f).exists()] if PLAN.from_scores else []
if _missing:
    raise ValueError(f"from_scores: {len(_missing)} files of the runs are missing, first {_missing[:3]}; "
                     "run their runs first (docs/workflow.md#a-study-in-pieces)")


wildcard_constraints:
    world="[a-z]+(-[a-z]+)*",   # a fact-world preset (deltaedit.factworld.build.PRESETS), e.g. small, small-tune
    arch="|".join(PLAN.archs),
    model="|".join(PLAN.models),
    method="|".join(PLAN.all_methods),
    dataset="|".join(PLAN.datasets),
    n=r"\d+",


# Scripts get `params.model` (a directory or a hub id); `input.model` is the dependency, empty for hub models.
def model_ref(wc):
    return PLAN.model_ref(wc.model)


def model_dir(wc):
    return PLAN.model_inputs(wc.model)


def records_file(wc):
    return PLAN.records_file(wc.model, wc.dataset)


def corpus_file(wc):
    return PLAN.corpus_inputs(wc.model)


def corpus_ref(wc):
    return PLAN.corpus_ref(wc.model)


def templates_file(wc, run=None):
    return PLAN.templates_file(wc.model, run or wc.method)


def run_deltas(wc):
    return PLAN.run_deltas(wc.model, wc.dataset, wc.method)


def run_ckpts(wc):
    return PLAN.checkpoints(wc.model, wc.dataset, wc.method)


def hparams_values(wc, run=None):
    """The resolved hparams of a run, as a param: editing a YAML file reruns the runs that use it."""
    return PLAN.hparams(run or wc.method, wc.model).to_dict()


def load_spec(rule):
    """The `load` param of a rule's jobs: dtype, fp32 layers and GPUs of the job's model (docs/precision.md)."""
    return lambda wc: PLAN.load_spec(wc.model, rule)


def gpus(rule):
    return lambda wc: PLAN.placement(wc.model, rule).n_gpus


def analysis_spec(wc, output):
    """A scoring job's part of rule analysis (deltaedit.workflow.jobs.analysis_part); None where it writes none."""
    return {**PLAN.analysis_spec(), "out": output.analysis} if "analysis" in output.keys() else None
