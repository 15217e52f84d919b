"""Per-edit cost of each method in a sequential run (a benchmark that prints numbers, not a test).

    python -m deltaedit.bench --world resources/factworld/default --arch gpt2 --edits 1000 \
        --methods ft rome memit prune rect alphaedit deltaedit

For each method, in a fresh process (so peak memory is the method's own), it runs `--edits` sequential
edits and reports the median seconds per edit around edit 50 (edits 41–60) and over the last 20 edits,
their ratio (flat in the number of prior edits means ≈ 1), the share of time spent in the value
optimisation, and the peak resident memory.
"""
from __future__ import annotations

import argparse
import json
import logging
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from deltaedit.api import load_hparams
from deltaedit.data import load_counterfact
from deltaedit.factworld.edit_check import world_context
from deltaedit.methods import get_method
from deltaedit.models import load_model
from deltaedit.runner import RunSettings, run_sequential


def one_method(world: Path, arch: str, method: str, n_edits: int, hp_name: str, threads: int,
               device: str = "cpu") -> dict:
    torch.set_num_threads(threads)
    model, tok = load_model(world / "models" / arch, device=torch.device(device))
    records = load_counterfact(world / "counterfact.json")[:n_edits]
    m = get_method(method)
    hp = load_hparams(method, hp_name)
    ctx = world_context(model, tok, world, m, hp)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        run_sequential(model, tok, m, hp, ctx, [r.request for r in records], tmp,
                       RunSettings([n_edits], order_seed=None, save_every=10 ** 9))
        wall = time.perf_counter() - t0
        log = [json.loads(x) for x in (Path(tmp) / "edits.jsonl").read_text().splitlines()]
    secs = [x["seconds"] for x in log]
    value_seconds = [x.get("value_seconds", 0.0) for x in log]     # logged by the value optimisation
    early = statistics.median(secs[40:60]) if len(secs) >= 60 else statistics.median(secs[: max(1, len(secs) // 2)])
    late = statistics.median(secs[-20:])
    return {"method": method, "edits": n_edits, "median_s_edit_50": round(early, 4),
            "median_s_last_20": round(late, 4), "late_over_early": round(late / early, 3),
            "value_opt_share": round(sum(value_seconds) / sum(secs), 3), "wall_s": round(wall, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            **({"peak_accelerator_mb": round(torch.accelerator.max_memory_allocated() / 2 ** 20, 1)}
               if device != "cpu" else {}), "device": device}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--world", required=True, type=Path)
    ap.add_argument("--arch", default="gpt2")
    ap.add_argument("--hparams-model", default=None)
    ap.add_argument("--methods", nargs="+", default=["ft", "rome", "memit", "prune", "rect", "alphaedit", "deltaedit"])
    ap.add_argument("--edits", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu", help="torch device of the run, e.g. cuda:0")
    ap.add_argument("--parallel", type=int, default=1, help="methods run at once (each in its own process)")
    ap.add_argument("--single", action="store_true", help=argparse.SUPPRESS)   # child mode: one method
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    hp_name = args.hparams_model or f"factworld-{args.arch}"
    if args.single:
        res = one_method(args.world, args.arch, args.methods[0], args.edits, hp_name, args.threads, args.device)
        sys.stdout.write(json.dumps(res) + "\n")
        return 0
    def child(method: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "deltaedit.bench", "--single", "--world", str(args.world),
                                 "--arch", args.arch, "--hparams-model", hp_name, "--methods", method,
                                 "--edits", str(args.edits), "--threads", str(args.threads), "--device", args.device],
                                stdout=subprocess.PIPE, text=True)

    pending = list(args.methods)
    while pending:                       # --parallel methods at a time; a method's numbers are its own process's
        batch, pending = pending[: args.parallel], pending[args.parallel:]
        for method, proc in [(m, child(m)) for m in batch]:
            out, _ = proc.communicate()
            if proc.returncode:
                raise RuntimeError(f"benchmark of {method!r} failed (exit {proc.returncode})")
            sys.stdout.write(out.strip().splitlines()[-1] + "\n")
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
