"""FLOPs of one edit beside its seconds (a benchmark that prints numbers, not a test; docs/real-model.md).

    python -m deltaedit.study.flops --model smollm2-135m --records counterfact-edit.json --methods memit alphaedit

For each method, one edit of the first record on the unedited model: its floating-point operations counted by
torch's FlopCounterMode (matrix products and attention, which are nearly all of them), split into the value
optimisation (per pass) and the rest (keys, the multi-layer solve), and the seconds of the same edit run
without the counter. FLOPs over seconds is the rate the edit reaches; far under the machine's peak means
the edit is bound by something else than arithmetic (reading weights, Python, small products).
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

from deltaedit.api import load_hparams
from deltaedit.core.values import optimise_value
from deltaedit.methods import get_method
from deltaedit.models import adapter_for
from deltaedit.study.bench import real_model_run


def counted(fn):
    """(result, FLOPs) of fn() under torch's FLOP counter."""
    with FlopCounterMode(display=False) as fc:
        out = fn()
    return out, fc.get_total_flops()


def edit_flops(model, tok, method, hp, ctx, request) -> dict:
    """One edit's FLOPs (total, value optimisation, per pass) and seconds, on the model as it is."""
    state = method.init_state(model, hp, ctx)
    (_, trace), total = counted(lambda: method.compute_deltas(model, tok, [request], hp, state, ctx))
    site = adapter_for(model).block(hp.layers[-1])
    value, value_flops = counted(lambda: optimise_value(model, tok, request, site, ctx.templates, hp.value_config()))
    passes = value.steps + 1
    state = method.init_state(model, hp, ctx)
    t0 = time.perf_counter()
    method.compute_deltas(model, tok, [request], hp, state, ctx)
    seconds = time.perf_counter() - t0
    return {"flops_edit": total, "flops_value_step": value_flops, "value_passes": passes,
            "flops_per_pass": value_flops / passes, "flops_rest": total - value_flops, "seconds": seconds}


def gflop_row(res: dict) -> dict:
    """`edit_flops` in GFLOP, with the rate the edit reached."""
    g = {k.replace("flops", "gflop"): round(v / 1e9, 3) for k, v in res.items() if k.startswith("flops")}
    return {**g, "value_passes": res["value_passes"], "seconds": round(res["seconds"], 2),
            "gflop_per_s": round(res["flops_edit"] / res["seconds"] / 1e9, 1)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="hub id, directory, .gguf file or built-in name")
    ap.add_argument("--records", type=Path, required=True, help="CounterFact records (the first is edited)")
    ap.add_argument("--methods", nargs="+", default=["memit", "alphaedit", "deltaedit"])
    ap.add_argument("--hparams-model", default=None, help="hparams name (default: the model's)")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    for name in args.methods:
        m = get_method(name)
        hp = load_hparams(name, args.hparams_model or Path(args.model).name.lower())
        model, tok, records, ctx = real_model_run(args.model, args.records, m, hp, "cpu")
        print(json.dumps({"method": name, "threads": args.threads, **gflop_row(edit_flops(model, tok, m, hp, ctx, records[0].request))}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
