"""Paired statistics of the real-model protocol (deltaedit.study.paired), on cases worked out by hand."""
import math

import pytest

from deltaedit.study.paired import compare, paired_difference, verdict


def test_a_constant_advantage_has_a_zero_width_interval_where_unpaired_ones_overlap():
    """By hand: the method beats the baseline by exactly 0.1 on every record, on records whose scores spread
    from 0 to 1. Every resample of the differences averages 0.1, so the paired interval is [10, 10] points,
    while the two methods' own means (35 and 45 points) have wide intervals that overlap."""
    baseline = [0.0, 0.0, 0.1, 0.9, 1.0, 0.0, 0.2, 0.8, 0.5, 0.0]
    method = [b + 0.1 for b in baseline]
    c = paired_difference(method, baseline)
    assert c["mean"] == pytest.approx(10.0) and c["n"] == 10
    assert c["ci_low"] == pytest.approx(10.0) and c["ci_high"] == pytest.approx(10.0)
    from deltaedit.eval.summary import bootstrap_ci
    lo_m, _ = bootstrap_ci(method)
    _, hi_b = bootstrap_ci(baseline)
    assert lo_m < hi_b                                   # unpaired intervals overlap: no verdict from them


def test_top_metric_differences_worked_by_hand():
    """Top metrics are 0/1 per record. Method hits records 1, 2, 4; baseline hits 2, 3: differences
    (1, 0, -1, 1) -> mean 0.25 = 25 points; any resample's mean is a multiple of 25 points between -100 and
    100, so both bounds are such multiples around 25; a NaN record is left out of both sides."""
    c = paired_difference([1, 1, 0, 1, float("nan")], [0, 1, 1, 0, 1])
    assert c["n"] == 4 and c["mean"] == pytest.approx(25.0)
    assert -100 <= c["ci_low"] <= 25 <= c["ci_high"] <= 100
    for bound in (c["ci_low"], c["ci_high"]):
        assert bound / 25 == pytest.approx(round(bound / 25), abs=1e-9)


def iv(lo, hi, n=100):
    return {"mean": (lo + hi) / 2, "ci_low": lo, "ci_high": hi, "n": n}


@pytest.mark.parametrize("orders,word", [
    ([iv(2, 9), iv(0.5, 6), iv(1, 30)], "reproduced"),            # above 0 in every order
    ([iv(-3, 4), iv(-5, 2), iv(-1, 10)], "not reproduced"),       # below the paper's +16.8 in every order
    ([iv(2, 9), iv(-1, 20), iv(1, 30)], "inconclusive"),          # one order straddles 0 and reaches the effect
    ([iv(-3, 4), iv(5, 25), iv(-1, 10)], "inconclusive"),
    ([iv(float("nan"), float("nan"), n=0)], "n/a"),
])
def test_the_protocols_verdict_words(orders, word):
    assert verdict(orders, paper_effect=16.8) == word


def test_compare_reports_every_order_and_the_signs():
    a = [[1, 1, 1, 0], [1, 1, 0, 0], [0, 0, 0, 1]]
    b = [[0, 0, 1, 0], [1, 1, 0, 0], [1, 0, 0, 1]]
    r = compare(a, b, paper_effect=16.8)
    assert [o["mean"] for o in r["orders"]] == [50.0, 0.0, -25.0] and r["signs"] == "+0-"
    assert r["verdict"] == "inconclusive"
    with pytest.raises(ValueError, match="same records"):
        paired_difference([1, 0], [1])
    assert math.isnan(paired_difference([float("nan")], [1.0])["mean"])
