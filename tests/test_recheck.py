"""`deltaedit recheck`: the comparison of a rerun with a committed run, worked by hand; its errors. The rerun
itself is tested on the smoke run (tests/test_workflow.py)."""
import math

import pytest

from deltaedit.cli import main
from deltaedit.workflow.recheck import changed_records, largest_relative_difference, log_medians, means


def test_largest_relative_difference_by_hand():
    a = {"edit": 1, "delta_norm": [84.0], "noise": {"4": 0.0, "7": 2.0}, "note": "text"}
    b = {"edit": 1, "delta_norm": [84.0], "noise": {"4": 0.0, "7": 2.5}, "note": "other text"}
    # |2 - 2.5| / 2.5 = 0.2 at noise.7; 0 against 0 and the strings do not count
    assert largest_relative_difference(a, b) == (pytest.approx(0.2), "noise.7")
    assert largest_relative_difference([a, a], [a, a]) == (0.0, "")
    assert largest_relative_difference({"x": math.nan}, {"x": 1.0}) == (1.0, "x")
    assert largest_relative_difference({"x": math.nan}, {"x": math.nan}) == (0.0, "")
    with pytest.raises(ValueError, match="noise.7"):
        largest_relative_difference(a, {**b, "noise": {"4": 0.0}})
    # an ablation that logs other layers: the paths both hold (0.0 against 0.0 at noise.4), the rest left out
    assert largest_relative_difference(a, {**b, "noise": {"4": 0.0, "5": 9.0}}, shared_only=True) == (0.0, "")


def test_changed_records_counts_per_metric_by_case_id():
    made = [{"case_id": 3, "efficacy_top": 1.0, "specificity_top": 0.5}, {"case_id": 8, "efficacy_top": 0.0, "specificity_top": 1.0}]
    again = [{"case_id": 8, "efficacy_top": 1.0, "specificity_top": 1.0}, {"case_id": 3, "efficacy_top": 1.0, "specificity_top": 0.5}]
    assert changed_records(made, again) == {"efficacy_top": 1, "specificity_top": 0}
    with pytest.raises(ValueError, match="other records"):
        changed_records(made, again[:1])


def test_means_and_edit_log_medians_by_hand():
    records = [{"case_id": 3, "efficacy_top": 1.0, "specificity_top": 0.5}, {"case_id": 8, "efficacy_top": 0.0, "specificity_top": 1.0}]
    assert means(records) == {"efficacy_top": 50.0, "specificity_top": 75.0}
    rows = [{"edit": 1, "case_ids": [0], "seconds": 9.0, "p_after": [0.2], "value_steps": 7, "noise": {"4": 1.0}},
            {"edit": 2, "case_ids": [1], "seconds": 1.0, "p_after": [0.4, 0.8], "value_steps": 3, "noise": {"4": 2.0}},
            {"edit": 3, "case_ids": [2], "seconds": 5.0, "p_after": [0.9], "value_steps": 11, "noise": {"4": 3.0}}]
    # a batch's list is averaged (0.6), then the median over edits; times, ids and per-layer fields are not measures
    assert log_medians(rows) == {"p_after": pytest.approx(0.6), "value_steps": 7}


@pytest.mark.parametrize("args,culprit", [
    (["--run", "nosuch"], "nosuch"),
    (["--run", "memit", "--n", "3"], "3 is not a checkpoint"),
    (["--run", "memit", "--model", "gpt2-xl"], "gpt2-xl"),
    (["--run", "noedit"], "noedit"),
    (["--run", "memit", "--set", "mom2_update_weight"], "KEY=VALUE"),
    (["--run", "memit", "--set", "no_such_key=1"], "no_such_key"),
    (["--run", "memit", "--set", "mom2_update_weight=[1"], "not YAML"),
    (["--run", "memit", "--set", "mom2_update_weight=[1]"], "mom2_update_weight"),
])
def test_bad_arguments_name_the_culprit(args, culprit, tmp_path, capsys):
    base = {"--preset": "smoke", "--dataset": "counterfact", "--n": "2", "--work": str(tmp_path / "w")}
    argv = ["recheck"] + [x for k, v in base.items() if k not in args for x in (k, v)] + args
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("deltaedit recheck: error:") and culprit in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "w").exists()


def test_missing_resources_are_named_before_anything_runs(tmp_path, capsys):
    """A checkout without resources/ (or without the committed run) stops naming the files, writing nothing."""
    import shutil
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    shutil.copytree(root / "workflow", tmp_path / "workflow")
    argv = ["recheck", "--preset", "smoke", "--dataset", "counterfact", "--run", "memit", "--n", "2",
            "--root", str(tmp_path), "--work", str(tmp_path / "w")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "results/scores/factworld-tiny-gpt2/counterfact/memit/2.json" in err and "resources/stats" in err
    assert not (tmp_path / "w").exists()
