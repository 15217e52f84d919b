"""Do the methods edit the fact-world models? Single edits and a short sequential run.

    python -m deltaedit.factworld.edit_check --world resources/factworld/default --arch gpt2 \
        --methods rome memit alphaedit deltaedit --single 100 --sequential 20

Single: each of the first N records is edited alone on the unedited model and scored on that record
(CounterFact top/larger, specificity against the unedited model's own predictions). Sequential: the
first N records are edited one after another with AlphaEdit, then all N are scored.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import torch
from tqdm.auto import tqdm

from deltaedit.api import edit, load_hparams, make_context
from deltaedit.data import load_counterfact
from deltaedit.eval.metrics import CF_TEACHER_FORCED, counterfact_scores, unedited_predictions
from deltaedit.eval.summary import summarize
from deltaedit.methods import get_method
from deltaedit.models import applied, load_model

log = logging.getLogger(__name__)


def world_context(model, tok, world_dir: Path, method, hp):
    corpus = (world_dir / "background.txt").read_text().splitlines()
    return make_context(model, tok, method, hp, corpus=corpus)


def single_edits(model, tok, records, method_name: str, hp, ctx, reference) -> dict:
    method = get_method(method_name)
    rows, t0 = [], time.time()
    for rec in tqdm(records, desc=f"single {method_name}", leave=False):
        state = method.init_state(model, hp, ctx)
        deltas, _ = method.compute_deltas(model, tok, [rec.request], hp, state, ctx)
        with applied(model, method.finalize(model, deltas, hp, state)):
            rows += counterfact_scores(model, tok, [rec], reference)
    return {"n": len(records), "seconds": round(time.time() - t0, 1), **summarize(rows, CF_TEACHER_FORCED)}


def sequential_edits(model, tok, records, method_name: str, hp, ctx, reference) -> dict:
    t0 = time.time()
    total, state = edit(model, tok, [r.request for r in records], method_name, hp, ctx, apply=False)
    method = get_method(method_name)
    with applied(model, method.finalize(model, total, hp, state)):
        rows = counterfact_scores(model, tok, records, reference)
    return {"n": len(records), "seconds": round(time.time() - t0, 1), **summarize(rows, CF_TEACHER_FORCED)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--world", required=True, type=Path)
    ap.add_argument("--arch", default="gpt2")
    ap.add_argument("--hparams-model", default=None, help="hparams name (default factworld-<arch>)")
    ap.add_argument("--methods", nargs="+", default=["rome", "memit", "alphaedit", "deltaedit"])
    ap.add_argument("--single", type=int, default=100)
    ap.add_argument("--sequential", type=int, default=20)
    ap.add_argument("--sequential-method", default="alphaedit")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--device", default="cpu", help="torch device, e.g. cuda:0")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    model, tok = load_model(args.world / "models" / args.arch, device=torch.device(args.device))
    records = load_counterfact(args.world / "counterfact.json")
    n = max(args.single, args.sequential)
    reference = unedited_predictions(model, tok, records[:n])
    hp_name = args.hparams_model or f"factworld-{args.arch}"
    result = {"model": args.arch, "single": {}, "sequential": {}}
    for name in args.methods:
        hp = load_hparams(name, hp_name)
        ctx = world_context(model, tok, args.world, get_method(name), hp)
        result["single"][name] = single_edits(model, tok, records[: args.single], name, hp, ctx, reference)
        log.info("%s single: %s", name, result["single"][name]["efficacy_top"])
    if args.sequential:
        name = args.sequential_method
        hp = load_hparams(name, hp_name)
        ctx = world_context(model, tok, args.world, get_method(name), hp)
        result["sequential"][name] = sequential_edits(model, tok, records[: args.sequential], name, hp, ctx, reference)
    text = json.dumps(result, indent=1)
    if args.out:
        args.out.write_text(text)
    sys.stdout.write(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
