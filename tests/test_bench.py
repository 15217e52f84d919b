"""The benchmark's bookkeeping: its summary of a per-edit log, and the fixed-step setting."""
import json

import pytest

from deltaedit.api import load_hparams
from deltaedit.study.bench import fixed_steps, summarise, write_outputs


def test_summary_of_a_hand_made_log():
    # edits 1-40 take 1 s, 41-60 take 2 s (4 passes, 1.5 s of value optimisation), 61-100 take 3 s (9 passes)
    log = ([{"seconds": 1.0, "value_seconds": 0.5, "value_steps": 1}] * 40
           + [{"seconds": 2.0, "value_seconds": 1.5, "value_steps": 3}] * 20
           + [{"seconds": 3.0, "value_seconds": 2.7, "value_steps": 8}] * 40)
    s = summarise("x", log)
    assert (s["median_s_edit_50"], s["median_s_last_20"], s["late_over_early"]) == (2.0, 3.0, 1.5)
    assert (s["passes_50"], s["passes_last_20"]) == (4, 9)
    assert s["ms_per_pass_50"] == pytest.approx(375.0) and s["ms_per_pass_last_20"] == pytest.approx(300.0)
    assert s["value_opt_share"] == pytest.approx((40 * 0.5 + 20 * 1.5 + 40 * 2.7) / (40 + 40 + 120), abs=1e-3)


def test_a_method_without_value_optimisation_has_no_passes():
    s = summarise("ft", [{"seconds": 0.5}] * 30)
    assert s["passes_50"] is None and s["value_opt_share"] == 0.0 and s["late_over_early"] == 1.0


@pytest.mark.parametrize("method", ["ft", "memit", "deltaedit"])
def test_fixed_steps_turns_every_early_stop_off(method):
    hp = fixed_steps(load_hparams(method, "factworld-gpt2"), 20)
    if method == "ft":
        assert hp.num_steps == 20 and hp.early_stop_loss == float("-inf")
    else:
        assert hp.v_num_grad_steps == 20 and hp.value_config().early_stop_loss == float("-inf")
    if method == "deltaedit":
        assert hp.early_stop_prob == float("inf")


def test_fixed_steps_run_exactly_that_many_passes():
    from deltaedit.core.values import optimise_value
    from deltaedit.models import adapter_for
    from tests.conftest import MODEL_BUILDERS
    from tests.test_values import REQ, TOK
    model = MODEL_BUILDERS["gpt2"]()
    hp = fixed_steps(load_hparams("deltaedit", "factworld-tiny-gpt2"), 7)
    res = optimise_value(model, TOK, REQ, adapter_for(model).block(0), ["{}"], hp.value_config(hp.early_stop_prob))
    assert res.steps == 6          # 7 passes: 6 Adam steps, then the last loss (docs/methods.md#the-target-value-z)


def test_outputs_are_written(tmp_path):
    res = [dict(summarise(m, [{"seconds": 1.0}] * 30), steps_setting=20, peak_rss_mb=1.0, wall_s=30.0, model="4x256",
                n_params=10) for m in "ab"]
    write_outputs(tmp_path, res, {"a": [1.0] * 30, "b": [1.0] * 30}, "title")
    assert json.loads((tmp_path / "bench_a.json").read_text())["seconds"] == [1.0] * 30
    assert "| a " in (tmp_path / "bench.md").read_text() and (tmp_path / "bench.png").stat().st_size > 0


def test_tabulate_rebuilds_the_table_from_the_series(tmp_path):
    from deltaedit.study.bench import main
    res = [dict(summarise(m, [{"seconds": s}] * 30), steps_setting=20, peak_rss_mb=1.0, wall_s=30.0, model="4x256",
                n_params=10) for m, s in (("a", 1.0), ("b", 2.0))]
    write_outputs(tmp_path, res, {"a": [1.0] * 30, "b": [2.0] * 30}, "first")
    (tmp_path / "bench.md").unlink()
    b = json.loads((tmp_path / "bench_b.json").read_text())
    (tmp_path / "bench_b.json").write_text(json.dumps({**b, "median_s_edit_50": 7.5}))   # b "re-run"
    assert main(["--world", "w", "--out", str(tmp_path), "--methods", "a", "b", "--tabulate"]) == 0
    table = (tmp_path / "bench.md").read_text()
    assert table.startswith("w gpt2, 1000 sequential edits") and "7.5" in table and "| a " in table


def test_a_method_may_carry_overrides_and_its_series_file_is_a_plain_name():
    from deltaedit.study.bench import method_spec, series_file
    assert method_spec("memit") == ("memit", {})
    assert method_spec("deltaedit:trigger=code,eta=2") == ("deltaedit", {"trigger": "code", "eta": 2})
    assert method_spec("alphaedit:L2=1e1") == ("alphaedit", {"L2": 10.0})
    assert series_file("deltaedit:trigger=code") == "bench_deltaedit_trigger-code.json"
    with pytest.raises(ValueError, match="key=value"):
        method_spec("deltaedit:trigger")
