"""Per-edit cost of each method in a sequential run (a benchmark that prints numbers, not a test).

    python -m deltaedit.study.bench --world resources/factworld/default --arch gpt2 --edits 1000 \
        --methods ft rome memit prune rect alphaedit deltaedit --out results/bench

For each method, in a fresh process (so peak memory is the method's own), it runs `--edits` sequential
edits and reports the median seconds per edit around edit 50 (edits 41–60) and over the last 20 edits,
their ratio (flat in the number of prior edits means ≈ 1), the share of time spent in the value
optimisation, the median number of value-optimisation passes and the time of one pass (forward +
backward) at both ends, and the peak resident memory.

With the shipped hparams the value optimisation stops early once the target is reached, so the number of
passes per edit is part of what the method does to the model (it grows when later edits are harder to
make). `--steps N` runs every edit for exactly N passes with the early stops off — the setting of the
official code's cost figure (20 steps, docs/factworld.md) — so that the per-edit time measures the
implementation alone. `--shape 4x256` replaces the world's trained model by a seeded, untrained one of that
depth and width (width/64 heads, a 4×width MLP) with the world's tokenizer — the official figure's model
shape (4 layers, 256 wide, 3.7M parameters) for a like-for-like cost comparison; with `--steps` the work
per edit does not depend on the weights. `--model REF --records FILE` runs a real model instead of a world
(a hub id, directory, .gguf file or built-in name such as smollm2-135m, on CounterFact records, C0 from 64
seeded samples of the model's own text); a method may carry hparams overrides, `deltaedit:trigger=code`.
`--out DIR` writes each method's per-edit series (bench_<method>.json), the table
(bench.md) and a figure of seconds per edit against the number of prior edits (bench.png); `--tabulate`
rebuilds the last two from the series already in DIR (after re-running some of the methods into it).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import resource
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import torch

from deltaedit.api import load_hparams
from deltaedit.hparams import parse_value
from deltaedit.data import load_counterfact
from deltaedit.factworld.edit_check import world_context
from deltaedit.methods import get_method, list_methods
from deltaedit.factworld.pretrain import ModelSize, build_model
from deltaedit.models import load_model, load_tokenizer
from deltaedit.runner import RunSettings, run_sequential

EARLY = slice(40, 60)      # edits 41–60
COLUMNS = ["method", "model", "n_params", "edits", "steps_setting", "median_s_edit_50", "median_s_last_20", "late_over_early",
           "value_opt_share", "passes_50", "passes_last_20", "ms_per_pass_50", "ms_per_pass_last_20",
           "peak_rss_mb", "wall_s"]


def fixed_steps(hp, n: int):
    """`hp` with every edit running exactly `n` optimisation passes: early stops off."""
    if hasattr(hp, "v_num_grad_steps"):
        changes = {"v_num_grad_steps": n, "early_stop_loss": float("-inf")}
        if hasattr(hp, "early_stop_prob"):
            changes["early_stop_prob"] = float("inf")
    else:                                                  # FT: its own Adam loop on the weight
        changes = {"num_steps": n, "early_stop_loss": float("-inf")}
    return dataclasses.replace(hp, **changes)


def summarise(method: str, log: list[dict]) -> dict:
    """The benchmark's numbers from a run's per-edit log (edits.jsonl lines)."""
    secs = [x["seconds"] for x in log]
    passes = [x["value_steps"] + 1 if "value_steps" in x else None for x in log]
    per_pass = [x["value_seconds"] / p * 1e3 if p else None for x, p in zip(log, passes)]
    early = EARLY if len(secs) >= EARLY.stop else slice(0, max(1, len(secs) // 2))
    late = slice(-20, None)

    def med(xs, window):
        xs = [x for x in xs[window] if x is not None]
        return round(statistics.median(xs), 4) if xs else None
    e, l = med(secs, early), med(secs, late)
    value = sum(x.get("value_seconds", 0.0) for x in log)
    return {"method": method, "edits": len(log), "median_s_edit_50": e, "median_s_last_20": l,
            "late_over_early": round(l / e, 3), "value_opt_share": round(value / sum(secs), 3),
            "passes_50": med(passes, early), "passes_last_20": med(passes, late),
            "ms_per_pass_50": med(per_pass, early), "ms_per_pass_last_20": med(per_pass, late)}


def method_spec(spec: str) -> tuple[str, dict]:
    """"deltaedit:trigger=code,eta=2" -> ("deltaedit", {"trigger": "code", "eta": 2}); a plain name has none."""
    name, _, rest = spec.partition(":")
    pairs = [kv.split("=", 1) for kv in rest.split(",") if kv]
    if any(len(p) != 2 for p in pairs):
        raise ValueError(f"method {spec!r}: overrides are key=value[,key=value...]")
    return name, {k: parse_value(v) for k, v in pairs}


def series_file(method: str) -> str:
    """bench_<method>.json, with a method's overrides written file-name safe (deltaedit_trigger-code)."""
    return "bench_" + method.replace(":", "_").replace("=", "-").replace(",", "_") + ".json"


def real_model_run(model_ref: str, records_path: Path, method, hp, device: str):
    """A real model, its CounterFact records and the method's context (C0 from the model's own text)."""
    from deltaedit.api import make_context
    from deltaedit.core.templates import HUB_TEMPLATE_WORDS
    from deltaedit.stats import corpus_texts

    model, tok = load_model(model_ref, device=torch.device(device))
    ctx = make_context(model, tok, method, hp, corpus=corpus_texts("self", None, model=model, tok=tok), stats_max_len=None,
                       template_seed_words=HUB_TEMPLATE_WORDS, stats_product_dtype=torch.float32)
    return model, tok, load_counterfact(records_path), ctx


def shaped_model(world: Path, arch: str, shape: str, device: str):
    """An untrained model of `shape` ("LAYERSxWIDTH") with the world's tokenizer (seeded initialisation)."""
    n_layer, width = (int(x) for x in shape.lower().split("x"))
    tok = load_tokenizer(world / "models" / arch)
    size = ModelSize(arch, n_layer, width, max(1, width // 64), 4 * width)
    return build_model(size, len(tok), seed=0).eval().to(device), tok


def one_method(world: Path | None, arch: str, method: str, n_edits: int, hp_name: str, threads: int,
               device: str = "cpu", steps: int | None = None, shape: str | None = None,
               model_ref: str | None = None, records_path: Path | None = None) -> tuple[dict, list[float]]:
    torch.set_num_threads(threads)
    name, overrides = method_spec(method)
    m = get_method(name)
    hp = load_hparams(name, hp_name, overrides)
    if steps is not None:
        hp = fixed_steps(hp, steps)
    if model_ref:
        model, tok, records, ctx = real_model_run(model_ref, records_path, m, hp, device)
    else:
        model, tok = (shaped_model(world, arch, shape, device) if shape
                      else load_model(world / "models" / arch, device=torch.device(device)))
        records = load_counterfact(world / "counterfact.json")
        ctx = world_context(model, tok, world, m, hp)
    if len(records) < n_edits:
        raise ValueError(f"{records_path or world / 'counterfact.json'} has {len(records)} records, fewer than --edits {n_edits}")
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        run_sequential(model, tok, m, hp, ctx, [r.request for r in records[:n_edits]], tmp,
                       RunSettings([n_edits], order_seed=None, save_every=10 ** 9))
        wall = time.perf_counter() - t0
        log = [json.loads(x) for x in (Path(tmp) / "edits.jsonl").read_text().splitlines()]
    res = summarise(method, log)
    res.update(steps_setting=steps or "hparams", wall_s=round(wall, 1), device=device, threads=threads,
               model=model_ref or shape or "trained", n_params=sum(p.numel() for p in model.parameters()),
               peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1))
    if device != "cpu":
        res["peak_accelerator_mb"] = round(torch.accelerator.max_memory_allocated() / 2 ** 20, 1)
    return res, [x["seconds"] for x in log]


def write_outputs(out: Path, results: list[dict], series: dict[str, list[float]], title: str) -> None:
    import pandas as pd

    from deltaedit.eval.plots import new_figure, save_figure
    out.mkdir(parents=True, exist_ok=True)
    for r in results:
        (out / series_file(r["method"])).write_text(json.dumps({**r, "seconds": series[r["method"]]}))
    (out / "bench.md").write_text(f"{title}\n\n" + pd.DataFrame(results)[COLUMNS].to_markdown(index=False) + "\n")
    fig, (ax,) = new_figure(width=6.4, height=3.6)
    for method, secs in series.items():
        s = pd.Series(secs).rolling(20, min_periods=1).median()
        ax.plot(range(1, len(secs) + 1), s, label=method)
    ax.set_xlabel("edit number (prior edits + 1)")
    ax.set_ylabel("seconds per edit (rolling median of 20)")
    ax.set_title(textwrap.fill(title, 90), fontsize=8)
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=7)
    save_figure(fig, out / "bench.png")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--world", type=Path, default=None, help="a fact world's folder (or --model and --records)")
    ap.add_argument("--model", default=None, help="a real model: hub id, directory, .gguf file or built-in name")
    ap.add_argument("--records", type=Path, default=None, help="CounterFact records for --model")
    ap.add_argument("--arch", default="gpt2")
    ap.add_argument("--hparams-model", default=None)
    ap.add_argument("--methods", nargs="+", default=None, help="registered methods (default: all)")
    ap.add_argument("--edits", type=int, default=1000)
    ap.add_argument("--steps", type=int, default=None, help="run every edit for exactly this many optimisation passes")
    ap.add_argument("--shape", default=None, help="an untrained model of this LAYERSxWIDTH, e.g. 4x256")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu", help="torch device of the run, e.g. cuda:0")
    ap.add_argument("--parallel", type=int, default=1, help="methods run at once (each in its own process)")
    ap.add_argument("--out", type=Path, default=None, help="folder for the per-edit series, table and figure")
    ap.add_argument("--tabulate", action="store_true",
                    help="run nothing: rebuild bench.md and bench.png from the bench_<method>.json series in --out")
    ap.add_argument("--single", action="store_true", help=argparse.SUPPRESS)   # child mode: one method
    args = ap.parse_args(argv)
    if (args.world is None) == (args.model is None) or (args.model is not None) != (args.records is not None):
        ap.error("give --world, or --model with --records")
    logging.basicConfig(level=logging.WARNING)
    args.methods = args.methods or list_methods()
    hp_name = args.hparams_model or (Path(args.model).name.lower() if args.model else f"factworld-{args.arch}")
    if args.single:
        res, secs = one_method(args.world, args.arch, args.methods[0], args.edits, hp_name, args.threads,
                               args.device, args.steps, args.shape, args.model, args.records)
        sys.stdout.write(json.dumps({**res, "seconds": secs}) + "\n")
        return 0

    def child(method: str) -> subprocess.Popen:
        source = (["--world", str(args.world)] if args.world else ["--model", args.model, "--records", str(args.records)])
        cmd = [sys.executable, "-m", "deltaedit.study.bench", "--single", *source, "--arch", args.arch,
               "--hparams-model", hp_name, "--methods", method, "--edits", str(args.edits),
               "--threads", str(args.threads), "--device", args.device]
        cmd += (["--steps", str(args.steps)] if args.steps else []) + (["--shape", args.shape] if args.shape else [])
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)

    results, series = [], {}
    if args.tabulate:                    # e.g. after re-running one method into the same folder
        if not args.out:
            ap.error("--tabulate needs --out")
        for method in args.methods:
            res = json.loads((args.out / series_file(method)).read_text())
            series[method] = res.pop("seconds")
            results.append(res)
        write_outputs(args.out, results, series, _title(args))
        return 0
    pending = list(args.methods)
    while pending:                       # --parallel methods at a time; a method's numbers are its own process's
        batch, pending = pending[: args.parallel], pending[args.parallel:]
        for method, proc in [(m, child(m)) for m in batch]:
            out, _ = proc.communicate()
            if proc.returncode:
                raise RuntimeError(f"benchmark of {method!r} failed (exit {proc.returncode})")
            res = json.loads(out.strip().splitlines()[-1])
            series[method] = res.pop("seconds")
            results.append(res)
            sys.stdout.write(json.dumps(res) + "\n")
            sys.stdout.flush()
    if args.out:
        write_outputs(args.out, results, series, _title(args))
    return 0


def _title(args) -> str:
    what = args.model if args.model else f"{args.world.name} {args.arch}"
    return (f"{what}{' untrained ' + args.shape if args.shape else ''}, {args.edits} sequential "
            f"edits, {'%d passes per edit' % args.steps if args.steps else 'shipped hparams'}, "
            f"{args.threads} thread(s), {args.device}, {args.parallel} method(s) at a time")


if __name__ == "__main__":
    raise SystemExit(main())
