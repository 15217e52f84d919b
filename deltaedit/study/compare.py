"""Any two runs of one model and dataset compared paired, from their score files (`deltaedit compare`).

The per-record difference method − baseline in every edit order both runs have (a run and its order
replicas `<run>-o<seed>`, deltaedit.study.paired), at the last checkpoint both reached. An observation, not a
claim: the words say where the difference lies ("higher in every order": the interval's lower bound above 0
in each; "lower in every order": its upper bound below 0 in each; "not separated in at least one order"
otherwise), with no paper effect to reproduce. noise_E (eq. 13) at the last edited layer comes beside it,
one number per order.
"""
from __future__ import annotations

from pathlib import Path

from deltaedit.eval.metrics import GEN_METRICS, ZSRE_TOKEN_ACCURACY
from deltaedit.runner import replica_of
from deltaedit.study.claims import TOP, Runs
from deltaedit.study.verdicts import compare_paired

METRICS = (*TOP, *ZSRE_TOKEN_ACCURACY, *GEN_METRICS)
# what is compared when no metric is named: Efficacy and Specificity in the dataset's own columns
DEFAULT_METRICS = {"counterfact": ["efficacy_top", "specificity_top"], "zsre": ["efficacy", "specificity"]}
# paired.verdict with a zero effect: "reproduced" is a lower bound above 0, "not reproduced" an upper bound below
WORDS = {"reproduced": "higher in every order", "not reproduced": "lower in every order",
         "inconclusive": "not separated in at least one order", "n/a": "no records in common"}


def run_files(scores: Path, run: str) -> tuple[list[Path], dict]:
    """The score files of `run` and of its order replicas under `scores`, and the replicas' names."""
    paths, replicas = list((scores / run).glob("*.json")), {}
    for d in sorted(scores.glob(f"{run}-o*")):
        r = replica_of(d.name)
        if r and r[0] == run and d.is_dir():
            paths += d.glob("*.json")
            replicas[d.name] = r
    return paths, replicas


def compare_runs(scores: str | Path, method: str, baseline: str, metrics: list[str] | None = None,
                 n: int | None = None, baseline_scores: str | Path | None = None) -> dict:
    """`scores`: one model's and dataset's score folder (results/scores/<model>/<dataset>); `metrics`: by
    default the dataset's DEFAULT_METRICS; `baseline_scores`: the baseline's folder where it is not `scores`
    (a sweep point against a main run), of the same model and dataset."""
    scores = Path(scores)
    base_scores = scores if baseline_scores is None else Path(baseline_scores)
    for folder in {scores, base_scores}:
        if not folder.is_dir():
            raise ValueError(f"no score folder {folder}")
    if (base_scores.parent.name, base_scores.name) != (scores.parent.name, scores.name):
        raise ValueError(f"the baseline's folder {base_scores} is not of {scores}'s model and dataset "
                         f"({scores.parent.name}/{scores.name})")
    if base_scores != scores and method == baseline:
        raise ValueError(f"both runs are named {method!r}: the two folders' runs would be read as one")
    if metrics is None:
        if scores.name not in DEFAULT_METRICS:
            raise ValueError(f"no default metrics for dataset {scores.name!r}: name them (--metrics), from {list(METRICS)}")
        metrics = DEFAULT_METRICS[scores.name]
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise ValueError(f"unknown metric(s) {unknown}: choose from {list(METRICS)}")
    paths, replicas = [], {}
    for run, folder in ((method, scores), (baseline, base_scores)):
        p, r = run_files(folder, run)
        if not p:
            raise ValueError(f"no score files of run {run!r} under {folder}")
        paths += p
        replicas |= r
    runs = Runs.from_files(paths, replicas)
    present = set(runs.rec.metric)
    absent = [m for m in metrics if m not in present]
    if absent:
        raise ValueError(f"metric(s) {absent} not in the score files under {scores} (they have {sorted(present)})")
    model = scores.parent.name
    shared = set(runs.checkpoints(model, method)) & set(runs.checkpoints(model, baseline))
    n = max(shared, default=None) if n is None else n
    if n not in shared:
        raise ValueError(f"{method} and {baseline} have no checkpoint {n or ''} in common in every order "
                         f"(shared: {sorted(shared)})")
    out = {m: compare_paired(runs, model, method, baseline, n, m, 0.0) for m in metrics}
    for c in out.values():
        c["word"] = WORDS[c["verdict"]]
    noise = {r: runs.noise_by_order(model, r, n) for r in (method, baseline)}
    return dict(model=model, dataset=scores.name, method=method, baseline=baseline, n=n, metrics=out, noise_E=noise)


def to_text(result: dict) -> str:
    lines = [f"{result['method']} − {result['baseline']} at {result['n']} edits ({result['model']}, "
             f"{result['dataset']}): points, mean [95 % CI over records] per edit order"]
    for metric, c in result["metrics"].items():
        per = ", ".join(f"{o['order']}: {o['mean']:+.1f} [{o['ci_low']:+.1f}, {o['ci_high']:+.1f}]" for o in c["orders"])
        lines.append(f"  {metric}: {per} -> {c['word']}")
    for run, by_order in result["noise_E"].items():
        if by_order:
            lines.append(f"  noise_E, last edited layer, {run}: " + ", ".join(
                f"{o or 'file order'} {v:,.1f}" for o, v in sorted(by_order.items())))
    return "\n".join(lines)
