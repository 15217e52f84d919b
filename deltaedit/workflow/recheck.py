"""Does this machine reproduce a committed run? (docs/workflow.md#rechecking-a-committed-run)

A study in pieces mixes runs made on different machines, and a paired comparison of two runs assumes both
saw the same model, records, context templates and C0. `recheck` reruns the first `n` edits of one committed
run with the plan's settings (the same records and order, hparams, resources, load spec) in a scratch folder,
scores the checkpoint, and sets it beside the committed files: per metric, how many records changed outcome
and the two means; for the edit log's and the checkpoint's numbers (ignoring wall times), the largest relative
difference, and the edit log's per-edit numbers as medians over the edits.

With `overrides` (hparams keys replaced on top of the run's own) the rerun is an ablation of the committed run:
the same records, order and resources with one setting changed, compared record by record.
"""
from __future__ import annotations

import json
import math
import statistics
from pathlib import Path

from deltaedit.api import load_hparams
from deltaedit.data import write_json
from deltaedit.workflow.jobs import edit_job, score_job
from deltaedit.workflow.plan import EDIT_LOG, REFERENCE_FILE, SCORE_FILE, STATS_FILE, Plan

TIMES = {"seconds", "value_seconds"}   # edit-log fields that measure the machine, not the edit
NOT_MEASURES = TIMES | {"edit", "case_ids"}


def _numbers(obj, prefix: str = "") -> dict[str, float]:
    """Every number inside a JSON value, by its path ("delta_norm.0", "noise_E.7")."""
    if isinstance(obj, dict):
        return {k: v for key, val in obj.items() for k, v in _numbers(val, f"{prefix}{key}.").items()}
    if isinstance(obj, list):
        return {k: v for i, val in enumerate(obj) for k, v in _numbers(val, f"{prefix}{i}.").items()}
    if isinstance(obj, (int, float)) and not isinstance(obj, bool):
        return {prefix.rstrip("."): float(obj)}
    return {}


def largest_relative_difference(a, b, shared_only: bool = False) -> tuple[float, str]:
    """max |x − y| / max(|x|, |y|) over the numbers two JSON values hold at the same paths (0 where both are 0),
    with the path where it is reached; NaN on one side only counts as a difference of 1. A path only one of
    them holds is an error, or with `shared_only` left out."""
    x, y = _numbers(a), _numbers(b)
    if x.keys() != y.keys() and not shared_only:
        raise ValueError(f"the two hold different fields: {sorted(x.keys() ^ y.keys())[:5]}")
    worst, where = 0.0, ""
    for k in (k for k in x if k in y):          # in the first one's order: the first of equal differences wins
        if math.isnan(x[k]) or math.isnan(y[k]):
            d = 0.0 if math.isnan(x[k]) and math.isnan(y[k]) else 1.0
        else:
            scale = max(abs(x[k]), abs(y[k]))
            d = abs(x[k] - y[k]) / scale if scale else 0.0
        if d > worst:
            worst, where = d, k
    return worst, where


def changed_records(committed: list[dict], again: list[dict]) -> dict[str, int]:
    """Per metric, how many records (matched by case_id) score differently."""
    by_id = {r["case_id"]: r for r in again}
    if set(by_id) != {r["case_id"] for r in committed}:
        raise ValueError("the rerun edited other records than the committed run: its order or records differ")
    metrics = [k for k in committed[0] if k != "case_id"] if committed else []
    return {m: sum(r[m] != by_id[r["case_id"]][m] for r in committed) for m in metrics}


def means(records: list[dict]) -> dict[str, float]:
    """Per metric, the mean over records in per cent."""
    metrics = [k for k in records[0] if k != "case_id"] if records else []
    return {m: 100 * statistics.fmean(r[m] for r in records) for m in metrics}


def log_medians(rows: list[dict]) -> dict[str, float]:
    """Per edit-log field that holds one number per edit (a batch's list of them averaged), its median over
    the edits; per-layer fields and times are left out."""
    out = {}
    for key in (rows[0] if rows else {}):
        vals = [r[key] for r in rows]
        if key in NOT_MEASURES or not all(isinstance(v, (int, float, list)) and not isinstance(v, bool) for v in vals):
            continue
        out[key] = statistics.median(statistics.fmean(v) if isinstance(v, list) else v for v in vals)
    return out


def recheck(plan: Plan, model: str, dataset: str, run: str, n: int, root: str | Path, work: str | Path,
            overrides: dict | None = None) -> dict:
    """Rerun the first `n` edits of `run` (a checkpoint of it) from the resources under `root` (the workflow's
    folder, where its committed results are) in `work`, with `overrides` on top of the run's hparams, and
    compare. Writes work/recheck.json and returns it."""
    root, work = Path(root), Path(work)
    if run not in plan.runs_on(dataset, plan.runs) or plan.base_method(run) == "noedit":
        raise ValueError(f"{run!r} is not an editing run of this plan on {dataset} (runs: {plan.runs_on(dataset, plan.runs)})")
    if n not in plan.checkpoints(model, dataset, run):
        raise ValueError(f"{n} is not a checkpoint of {run} on {dataset}: {plan.checkpoints(model, dataset, run)}")
    hp_overrides = {**plan.overrides(run, model), **(overrides or {})}
    load_hparams(plan.base_method(run), plan.models[model]["hparams"], hp_overrides)   # a bad key stops here, before any work
    committed_scores = root / SCORE_FILE.format(model=model, dataset=dataset, method=run, n=n)
    committed_log = root / EDIT_LOG.format(model=model, dataset=dataset, method=run)
    records, templates = root / plan.records_file(model, dataset), root / plan.templates_file(model, run)
    stats = root / STATS_FILE.format(model=model)
    # the unedited model's predictions: CounterFact's neighbourhood scores need them, zsRE's do not
    reference = root / REFERENCE_FILE.format(model=model, dataset=dataset) if dataset == "counterfact" else None
    needed = [committed_scores, committed_log, records, templates, stats] + ([reference] if reference else [])
    missing = [str(p) for p in needed if not p.exists()]
    if missing:
        raise FileNotFoundError(f"recheck needs {', '.join(missing)}: build the resources with the run's piece "
                                "command first (docs/workflow.md#a-study-in-pieces)")
    ref = plan.model_ref(model) if plan.is_pretrained(model) else str(root / plan.model_ref(model))
    edit_job(ref, str(records), dataset, plan.base_method(run), plan.models[model]["hparams"], str(templates),
             str(stats), str(work / "edits"), [n], plan.order_seed(run), method_modules=plan.method_modules,
             overrides=hp_overrides, load_spec=plan.load_spec(model, "edit_run"), pool=plan.n_max)
    score_job(ref, str(records), dataset, [str(work / f"edits/ckpt_{n}")], reference and str(reference),
              [str(work / f"scores/{n}.json")], load_spec=plan.load_spec(model, "score_run"))
    made, again = (json.loads(p.read_text()) for p in (committed_scores, work / f"scores/{n}.json"))
    rows = [json.loads(line) for line in committed_log.read_text().splitlines()[:n]]
    rows_again = [json.loads(line) for line in (work / "edits/edits.jsonl").read_text().splitlines()[:n]]
    # an ablation may log other fields or layers than the run (a field it adds, layers it changes): the shared ones
    shared = bool(overrides)
    log_diff = largest_relative_difference(*([{k: v for k, v in r.items() if k not in TIMES} for r in rs]
                                             for rs in (rows, rows_again)), shared_only=shared)
    diag_diff = largest_relative_difference(made["diagnostics"], again["diagnostics"], shared_only=shared)
    (m0, m1), (l0, l1) = (means(made["records"]), means(again["records"])), (log_medians(rows), log_medians(rows_again))
    report = {"model": model, "dataset": dataset, "run": run, "n_edits": n, "overrides": overrides or {},
              "records_changed": changed_records(made["records"], again["records"]),
              "means": {m: {"committed": m0[m], "rerun": m1[m]} for m in m0},
              "edit_log": {"largest_relative_difference": log_diff[0], "where": log_diff[1],
                           "medians": {k: {"committed": l0[k], "rerun": l1[k]} for k in l0 if k in l1}},
              "diagnostics": {"largest_relative_difference": diag_diff[0], "where": diag_diff[1]}}
    write_json(report, work / "recheck.json")
    return report


def to_text(report: dict) -> str:
    changed, ov = report["records_changed"], report.get("overrides")
    lines = [f"{report['run']} on {report['dataset']} ({report['model']}), first {report['n_edits']} edits rerun"
             + (" with " + ", ".join(f"{k}={v}" for k, v in ov.items()) if ov else "") + ":",
             "records that score differently: " + (", ".join(f"{m} {c}" for m, c in changed.items())),
             "means, committed -> rerun (%): " + ", ".join(f"{m} {v['committed']:.1f} -> {v['rerun']:.1f}"
                                                           for m, v in report["means"].items()),
             "edit log medians, committed -> rerun: " + ", ".join(
                 f"{k} {v['committed']:.3g} -> {v['rerun']:.3g}" for k, v in report["edit_log"]["medians"].items())]
    for part in ("edit_log", "diagnostics"):
        d = report[part]
        lines.append(f"{part.replace('_', ' ')}: largest relative difference {d['largest_relative_difference']:.2g}"
                     + (f" ({d['where']})" if d["where"] else ""))
    return "\n".join(lines)
