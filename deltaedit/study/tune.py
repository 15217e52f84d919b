"""Choose hparams on a held-out slice of records (results/PROTOCOL.md), never on the records that are scored.

Every point of a grid of overrides is run as `n` sequential edits of records [start, start + n) in file
order, from the unedited model, and scored on those records (CounterFact "top" metrics, specificity against
the unedited model's own predictions). The choice maximises the smaller of Efficacy_top and Specificity_top
(a mean would reward not editing: Specificity 100, Efficacy 0 scores 50); the first grid point wins a tie,
so list the shipped value first.

    deltaedit tune --model DIR --records counterfact.json --method alphaedit --hparams factworld-small-gpt2 \
        --start 640 --n 20 --grid v_lr=0.1,0.2,0.4 --grid L2=0.5,1,3 --corpus background.txt --out tune.json
"""
from __future__ import annotations

import itertools
import json
import logging
import time
from pathlib import Path

from tqdm.auto import tqdm

from deltaedit.api import edit, load_hparams, make_context
from deltaedit.core.values import optimise_value
from deltaedit.data import write_json
from deltaedit.eval.metrics import CF_TEACHER_FORCED, counterfact_scores, unedited_predictions
from deltaedit.eval.summary import summarize
from deltaedit.hparams import parse_assignment
from deltaedit.methods import get_method
from deltaedit.models import adapter_for, applied, bias_key, get_module, restore, snapshot
from deltaedit.runner import RunSettings, read_checkpoint, run_sequential

log = logging.getLogger(__name__)
CRITERION = ("efficacy_top", "specificity_top")


def parse_grid(items: list[str]) -> dict[str, list]:
    """["v_lr=0.1,0.2", "layers=[0,1],[1,2]"] -> {"v_lr": [0.1, 0.2], "layers": [[0, 1], [1, 2]]}."""
    return dict(parse_assignment(item, "--grid", listed=True) for item in items)


def grid_points(grid: dict[str, list]) -> list[dict]:
    """The cartesian product of the grid, in the order given (the first value of every key first)."""
    keys = list(grid)
    return [dict(zip(keys, values)) for values in itertools.product(*(grid[k] for k in keys))]


def held_out(records: list, start: int, n: int, n_scored: int | None = None) -> list:
    """Records [start, start + n); refused where the slice runs past the file or into the first `n_scored`."""
    if start < 0 or n < 1 or start + n > len(records):
        raise ValueError(f"held-out slice [{start}, {start + n}) does not fit the {len(records)} records")
    if n_scored is not None and start < n_scored:
        raise ValueError(f"held-out slice starts at {start}, inside the first {n_scored} records that are scored")
    return records[start: start + n]


def point_name(point: dict) -> str:
    """A grid point as a folder name: {"L2": 1.0, "v_lr": 0.5} -> "L2=1.0,v_lr=0.5" (file-name safe)."""
    return ",".join(f"{k}={v}" for k, v in point.items()).replace("/", "_").replace(" ", "") or "shipped"


def _run_point(model, tok, m, hp, ctx, records, run_dir: Path | None):
    """The deltas a grid point's sequential run ends with (finalized, e.g. PRUNE's restraint). With `run_dir` the
    run is checkpointed there and resumes where it stopped; the model is left as it was either way."""
    if run_dir is None:
        total, state = edit(model, tok, [r.request for r in records], m.name, hp, ctx, apply=False)
        return m.finalize(model, total, hp, state)
    ad, layers = adapter_for(model), m.edited_layers(hp)
    saved = snapshot(model, [*layers, *(bias_key(l) for l in layers if get_module(model, ad.key_site(l)).bias is not None)])
    try:
        run_sequential(model, tok, m, hp, ctx, [r.request for r in records], run_dir,
                       RunSettings([len(records)], order_seed=None, save_every=10))
    finally:
        restore(model, saved)
    return read_checkpoint(run_dir / f"ckpt_{len(records)}")[0]


def tune(model, tok, records: list, method: str, hparams: str, grid: dict[str, list], corpus: list[str],
         stats_max_len: int = 128, work_dir: str | Path | None = None, model_id: str | None = None,
         template_seed_words: list[str] | None = None) -> dict:
    """Run and score every grid point on `records` (the held-out slice); return all of them and the choice.

    With `work_dir` every grid point runs checkpointed in <work_dir>/<method>/<point>/ and keeps its scores
    there: a tuning interrupted (a session's end) goes on where it stopped when called again; C0 is cached
    there too (`model_id` names the model in its metadata). `template_seed_words` start the context templates
    as the study's runs start theirs (a hub model's five words; EOS by default, as the fact world)."""
    m = get_method(method)
    reference = unedited_predictions(model, tok, records)
    contexts, points = {}, []
    work = Path(work_dir) / method if work_dir else None
    for point in tqdm(grid_points(grid), desc=f"tune {method}", unit="point"):
        done = work / point_name(point) / "scores.json" if work else None
        if done is not None and done.exists():
            points.append(json.loads(done.read_text()))
            continue
        t0 = time.perf_counter()
        hp = load_hparams(method, hparams, point)
        key = tuple(m.stats_layers(hp))           # the key statistics depend on the layers only
        if key not in contexts:
            cache = dict(stats_path=Path(work_dir) / f"stats_{'-'.join(map(str, key))}.pt",
                         model_id=model_id or "model") if work_dir and key else {}
            contexts[key] = make_context(model, tok, m, hp, corpus=corpus, stats_max_len=stats_max_len,
                                         template_seed_words=template_seed_words, **cache)
        final = _run_point(model, tok, m, hp, contexts[key], records, done.parent if done else None)
        with applied(model, final):
            summary = summarize(counterfact_scores(model, tok, records, reference), CF_TEACHER_FORCED)
        score = min(summary[c]["mean"] for c in CRITERION)
        points.append({"overrides": point, "score": score, "seconds": round(time.perf_counter() - t0, 1),
                       **{k: v["mean"] for k, v in summary.items()}})
        if done is not None:
            write_json(points[-1], done)
        log.info("%s %s: %s", method, point, {k: round(points[-1][k], 1) for k in CRITERION})
    best = max(range(len(points)), key=lambda i: (points[i]["score"], -i))
    return {"method": method, "hparams": hparams, "criterion": f"the smaller of {' and '.join(CRITERION)}",
            "n_records": len(records), "case_ids": [r.request.case_id for r in records], "points": points,
            "templates": sorted({t for ctx in contexts.values() for t in ctx.templates}),
            "chosen": points[best]["overrides"]}


def value_step(model, tok, requests: list, method: str, hparams: str, grid: dict[str, list], templates: list[str],
               tolerance: float = 0.05) -> dict:
    """The shared value step chosen on the unedited model (results/PROTOCOL.md, protocol v2, step 0): per grid
    point of value settings (v_lr, clamp_norm_factor, ...), the mean target probability the value
    optimisation reaches over `requests`, one at a time. It runs before any solve, so for the MEMIT family it
    does not depend on the method. The first point within `tolerance` of the best wins (list the smallest
    change to the published step first)."""
    m = get_method(method)
    z_site = adapter_for(model).block
    points = []
    for point in tqdm(grid_points(grid), desc=f"value step {method}", unit="point"):
        t0 = time.perf_counter()
        hp = load_hparams(method, hparams, point)
        probs = [optimise_value(model, tok, r, z_site(hp.layers[-1]), templates, hp.value_config()).prob_after
                 for r in requests]
        points.append({"overrides": point, "mean_prob": sum(probs) / len(probs), "min_prob": min(probs),
                       "seconds": round(time.perf_counter() - t0, 1)})
    best = max(p["mean_prob"] for p in points)
    chosen = next(p for p in points if p["mean_prob"] >= best - tolerance)
    return {"method": m.name, "hparams": hparams, "criterion": f"mean target probability, first within {tolerance} "
            "of the best", "n_records": len(requests), "case_ids": [r.case_id for r in requests],
            "points": points, "chosen": chosen["overrides"]}
