"""Aggregate per-record scores: mean x100 with a seeded percentile-bootstrap 95% confidence interval."""
from __future__ import annotations

import math

import numpy as np


def bootstrap_ci(values, n_boot: int = 1000, seed: int = 0, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap CI of the mean, resampling records with replacement."""
    x = np.asarray([v for v in values if not math.isnan(v)], dtype=float)
    if x.size == 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, x.size, size=(n_boot, x.size))].mean(1)
    a = (1 - level) / 2
    return float(np.quantile(means, a)), float(np.quantile(means, 1 - a))


def summarize(rows: list[dict], metrics, n_boot: int = 1000, seed: int = 0) -> dict[str, dict]:
    """{metric: {mean, ci_low, ci_high, n}} in percent (x100), over the records in `rows`."""
    out = {}
    for m in metrics:
        vals = [float(r[m]) for r in rows if not math.isnan(float(r[m]))]
        lo, hi = bootstrap_ci(vals, n_boot, seed)
        out[m] = {"mean": 100 * float(np.mean(vals)) if vals else float("nan"),
                  "ci_low": 100 * lo, "ci_high": 100 * hi, "n": len(vals)}
    return out


def bootstrap_ci_orders(groups: list, n_boot: int = 1000, seed: int = 0, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap CI of the mean over several edit orders (results/PROTOCOL.md): each resample draws
    the orders with replacement, then records with replacement within each drawn order, and averages all of
    them. With one order it is the records' bootstrap; it widens with the spread between orders."""
    xs = [np.asarray([v for v in g if not math.isnan(v)], dtype=float) for g in groups]
    xs = [x for x in xs if x.size]
    if not xs:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    means = np.empty(n_boot)
    for b in range(n_boot):
        picked = [xs[i] for i in rng.integers(0, len(xs), size=len(xs))]
        means[b] = np.concatenate([x[rng.integers(0, x.size, size=x.size)] for x in picked]).mean()
    a = (1 - level) / 2
    return float(np.quantile(means, a)), float(np.quantile(means, 1 - a))
