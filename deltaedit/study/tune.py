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
import logging
import time

import yaml
from tqdm.auto import tqdm

from deltaedit.api import edit, load_hparams, make_context
from deltaedit.eval.metrics import CF_TEACHER_FORCED, counterfact_scores, unedited_predictions
from deltaedit.eval.summary import summarize
from deltaedit.methods import get_method
from deltaedit.models import applied

log = logging.getLogger(__name__)
CRITERION = ("efficacy_top", "specificity_top")


def parse_grid(items: list[str]) -> dict[str, list]:
    """["v_lr=0.1,0.2", "layers=[0,1],[1,2]"] -> {"v_lr": [0.1, 0.2], "layers": [[0, 1], [1, 2]]}.

    Values are YAML; a comma inside brackets belongs to a list value, not to the grid.
    """
    grid = {}
    for item in items:
        key, sep, values = item.partition("=")
        if not sep or not key or not values:
            raise ValueError(f"--grid {item!r}: expected key=value[,value...]")
        try:
            grid[key] = yaml.safe_load(f"[{values}]")
        except yaml.YAMLError as err:
            raise ValueError(f"--grid {item!r}: the values are not YAML ({err.problem})") from None
    return grid


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


def tune(model, tok, records: list, method: str, hparams: str, grid: dict[str, list], corpus: list[str],
         stats_max_len: int = 128) -> dict:
    """Run and score every grid point on `records` (the held-out slice); return all of them and the choice."""
    m = get_method(method)
    reference = unedited_predictions(model, tok, records)
    contexts, points = {}, []
    for point in tqdm(grid_points(grid), desc=f"tune {method}", unit="point"):
        t0 = time.perf_counter()
        hp = load_hparams(method, hparams, point)
        key = tuple(m.stats_layers(hp))           # the key statistics depend on the layers only
        if key not in contexts:
            contexts[key] = make_context(model, tok, m, hp, corpus=corpus, stats_max_len=stats_max_len)
        total, state = edit(model, tok, [r.request for r in records], method, hp, contexts[key], apply=False)
        with applied(model, m.finalize(model, total, hp, state)):
            summary = summarize(counterfact_scores(model, tok, records, reference), CF_TEACHER_FORCED)
        score = min(summary[c]["mean"] for c in CRITERION)
        points.append({"overrides": point, "score": score, "seconds": round(time.perf_counter() - t0, 1),
                       **{k: v["mean"] for k, v in summary.items()}})
        log.info("%s %s: %s", method, point, {k: round(points[-1][k], 1) for k in CRITERION})
    best = max(range(len(points)), key=lambda i: (points[i]["score"], -i))
    return {"method": method, "hparams": hparams, "criterion": f"the smaller of {' and '.join(CRITERION)}",
            "n_records": len(records), "case_ids": [r.request.case_id for r in records], "points": points,
            "chosen": points[best]["overrides"]}
