"""Runs repeated in other edit orders: the CI over orders and records, the pooled Table 1, the pooled curves."""
import json

import numpy as np
import pytest

from deltaedit.eval.summary import bootstrap_ci, bootstrap_ci_orders
from deltaedit.runner import replica_name, replica_of
from deltaedit.study.orders import load_record_values, pool_curves, pooled_table1
from deltaedit.study.tables import load_scores


def test_ci_over_orders_is_the_records_bootstrap_for_one_order_and_zero_for_identical_constants():
    x = list(np.random.default_rng(1).random(40))
    lo1, hi1 = bootstrap_ci_orders([x], n_boot=4000)
    lo2, hi2 = bootstrap_ci(x, n_boot=4000)
    assert lo1 == pytest.approx(lo2, abs=0.02) and hi1 == pytest.approx(hi2, abs=0.02)
    assert bootstrap_ci_orders([[0.5] * 5, [0.5] * 5, [0.5] * 5]) == (0.5, 0.5)


def test_ci_over_orders_reaches_the_extremes_when_orders_disagree_completely():
    # two orders, each constant: a resample draws order A, B twice each (1/4 each) or one of each (1/2), so
    # the resampled means are 0, 1/2 or 1 and the 95 % interval spans [0, 1]; the records' CI would not see it
    lo, hi = bootstrap_ci_orders([[0.0] * 10, [1.0] * 10], n_boot=2000)
    assert (lo, hi) == (0.0, 1.0)
    assert bootstrap_ci([0.0] * 10 + [1.0] * 10, n_boot=2000)[1] < 0.8


def _score(path, n, values, metric="efficacy_top"):
    path.parent.mkdir(parents=True, exist_ok=True)
    mean = 100 * float(np.mean(values))
    path.write_text(json.dumps({"n_edits": n, "summary": {metric: {"mean": mean, "ci_low": mean - 1, "ci_high": mean + 1}},
                                "records": [{"case_id": i, metric: v} for i, v in enumerate(values)],
                                "diagnostics": {"noise_E": {"1": 10.0 * n}}}))


def test_pooled_table1_and_curves_fold_each_replica_into_its_run(tmp_path):
    root = tmp_path / "scores" / "m" / "counterfact"
    _score(root / "memit" / "4.json", 4, [1, 1, 1, 1])
    _score(root / "memit-o1" / "4.json", 4, [0, 0, 1, 1])
    _score(root / "alphaedit" / "4.json", 4, [1, 0, 1, 0])
    paths = sorted(tmp_path.rglob("*.json"))
    replicas = {"memit-o1": ["memit", 1]}
    table = pooled_table1(load_record_values(paths), replicas)
    assert list(table.index) == [("m", "alphaedit"), ("m", "memit")]            # no row of its own for o1
    assert table.loc[("m", "memit"), ("counterfact", "efficacy_top")].startswith("75.0 [")
    assert table.loc[("m", "memit"), ("counterfact", "efficacy_top")].endswith("(2)")
    curves = pool_curves(load_scores(paths), replicas)
    eff = curves[(curves.metric == "efficacy_top") & (curves.method == "memit")].iloc[0]
    assert (eff["mean"], eff.ci_low, eff.ci_high) == (75.0, 50.0, 100.0)       # mean over orders, their range
    alpha = curves[(curves.metric == "efficacy_top") & (curves.method == "alphaedit")].iloc[0]
    assert (alpha.ci_low, alpha.ci_high) == (49.0, 51.0)                       # one order: the records' CI
    assert set(curves.method) == {"memit", "alphaedit"}


def test_the_long_table_reports_only_the_runs_that_reached_the_longest_checkpoint(tmp_path):
    root = tmp_path / "scores" / "m" / "counterfact"
    _score(root / "memit" / "2.json", 2, [1, 1])
    _score(root / "memit" / "4.json", 4, [1, 0, 0, 0])          # a long run, in two orders
    _score(root / "memit-o1" / "2.json", 2, [1, 1])
    _score(root / "memit-o1" / "4.json", 4, [1, 1, 0, 0])
    _score(root / "rome" / "2.json", 2, [0, 1])                 # stops at the common checkpoint
    values, replicas = load_record_values(sorted(tmp_path.rglob("*.json"))), {"memit-o1": ["memit", 1]}
    long = pooled_table1(values, replicas, longest=True)
    assert list(long.index) == [("m", "memit")]
    assert long.loc[("m", "memit"), ("counterfact", "efficacy_top")].startswith("37.5 [")   # (1/4 + 2/4) / 2
    common = pooled_table1(values, replicas)
    assert list(common.index) == [("m", "memit"), ("m", "rome")]
    assert common.loc[("m", "rome"), ("counterfact", "efficacy_top")].startswith("50.0 [")


def test_an_order_replica_is_named_and_read_back_in_one_place():
    assert replica_name("deltaedit-code", 2) == "deltaedit-code-o2"
    assert replica_of("deltaedit-code-o2") == ("deltaedit-code", 2)      # the run's own hyphens stay in its name
    assert replica_of("deltaedit-code") is None and replica_of("memit-o") is None and replica_of("memit-ox") is None
