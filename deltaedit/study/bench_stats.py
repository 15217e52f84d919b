"""How long C0 takes, with float64 and with float32 products (a benchmark that prints numbers, not a test).

    python -m deltaedit.study.bench_stats --model smollm2-135m --texts ../shared/data/mmlu/test --n 1000

`--texts` is a text file (one document per line) or a folder of MMLU CSV files (the question column).
Each setting runs once, after a warm-up batch, at the threads given; the relative Frobenius difference of
the two C0s is printed beside the times.
"""
from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import torch


def read_texts(path: Path, n: int) -> list[str]:
    if path.is_dir():
        rows = [r[0] for f in sorted(path.glob("*.csv")) for r in csv.reader(f.open())]
        return rows[:n]
    return path.read_text().splitlines()[:n]


def main(argv=None) -> int:
    from deltaedit.models import load_model
    from deltaedit.stats import second_moments

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--texts", required=True, type=Path)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--max-len", type=int, default=128)
    ap.add_argument("--layers", type=int, nargs="+", default=[4, 5, 6, 7, 8])
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    model, tok = load_model(args.model)
    texts = read_texts(args.texts, args.n)
    second_moments(model, tok, texts[:8], args.layers, max_len=args.max_len)          # warm-up
    out = {}
    for name, dt in (("float64", torch.float64), ("float32", torch.float32)):
        t0 = time.perf_counter()
        out[name], n_tok = second_moments(model, tok, texts, args.layers, max_len=args.max_len, product_dtype=dt)
        print(f"{name} products: {time.perf_counter() - t0:.1f} s for {len(texts)} documents, {n_tok} tokens, "
              f"layers {args.layers}, {args.threads} threads")
    err = max(float((out["float32"][l].double() - out["float64"][l].double()).norm() / out["float64"][l].double().norm())
              for l in args.layers)
    print(f"largest relative difference (Frobenius) over the layers: {err:.2e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
