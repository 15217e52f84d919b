"""Paired comparison of two methods run on the same records in the same order (the real-model protocol).

Two methods edited the same records in the same order, so their per-record scores pair up: the question is
whether the per-record difference (method − baseline) is positive, not whether two unpaired intervals
overlap. Within one order: the mean difference × 100 with a percentile bootstrap over records, the same
resampled records for both methods. Across orders: the verdict words of the protocol,

* "reproduced"     the interval's lower bound is above 0 in every order;
* "not reproduced" its upper bound is below the paper's effect in every order (the effect the paper reports
                   cannot be there, whatever the sign);
* "inconclusive"   anything else;
* "n/a"            there is nothing to compare (e.g. no advantage for a control to explain).
"""
from __future__ import annotations

import math

import numpy as np

from deltaedit.eval.summary import bootstrap_ci


def paired_difference(method: list[float], baseline: list[float], n_boot: int = 1000, seed: int = 0) -> dict:
    """{mean, ci_low, ci_high, n} of the per-record difference method − baseline, in points (× 100). Records
    where either score is NaN are left out of both."""
    if len(method) != len(baseline):
        raise ValueError(f"paired scores need the same records: {len(method)} against {len(baseline)}")
    d = [a - b for a, b in zip(method, baseline) if not (math.isnan(a) or math.isnan(b))]
    if not d:
        return {"mean": float("nan"), "ci_low": float("nan"), "ci_high": float("nan"), "n": 0}
    lo, hi = bootstrap_ci(d, n_boot, seed)
    return {"mean": 100 * float(np.mean(d)), "ci_low": 100 * lo, "ci_high": 100 * hi, "n": len(d)}


def verdict(per_order: list[dict], paper_effect: float) -> str:
    """The protocol's word for one comparison from its paired differences in every order (see the module)."""
    usable = [c for c in per_order if c["n"]]
    if not usable:
        return "n/a"
    if all(c["ci_low"] > 0 for c in usable):
        return "reproduced"
    if all(c["ci_high"] < paper_effect for c in usable):
        return "not reproduced"
    return "inconclusive"


def compare(method_by_order: list[list[float]], baseline_by_order: list[list[float]], paper_effect: float,
            n_boot: int = 1000, seed: int = 0) -> dict:
    """Every order's paired difference, the signs of their means, and the verdict."""
    if len(method_by_order) != len(baseline_by_order):
        raise ValueError("the method and the baseline need the same edit orders")
    orders = [paired_difference(a, b, n_boot, seed) for a, b in zip(method_by_order, baseline_by_order)]
    signs = ["+" if c["mean"] > 0 else "-" if c["mean"] < 0 else "0" for c in orders if c["n"]]
    return {"orders": orders, "signs": "".join(signs), "paper_effect": paper_effect,
            "verdict": verdict(orders, paper_effect)}
