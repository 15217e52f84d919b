"""The tuning report: every grid point, the chosen one marked, values as factors of the published one."""
import json

import pytest

from deltaedit.cli import main
from deltaedit.study.sensitivity import load_tunings, sensitivity_table


def _tuning(path, method, param, values, chosen, scores):
    points = [{"overrides": {param: v}, "score": min(e, s), "seconds": 60.0 * (i + 1), "efficacy_top": e,
               "generalization_top": e / 2, "specificity_top": s} for i, (v, (e, s)) in enumerate(zip(values, scores))]
    path.write_text(json.dumps({"method": method, "points": points, "chosen": {param: chosen}}))
    return path


def test_every_point_is_a_row_with_its_factor_of_the_published_value_and_the_choice(tmp_path):
    a = _tuning(tmp_path / "a.json", "alphaedit", "L2", [10, 1, 100], 100, [(90, 40), (95, 20), (70, 60)])
    m = _tuning(tmp_path / "m.json", "memit", "mom2_update_weight", [15000, 1500, 150000], 15000,
                [(80, 50), (85, 30), (40, 70)])
    df = load_tunings([a, m])
    assert len(df) == 6
    alpha = df[df.method == "alphaedit"].set_index("value")
    assert alpha.factor.to_dict() == {10: 1.0, 1: 0.1, 100: 10.0}
    assert alpha.chosen.to_dict() == {10: False, 1: False, 100: True}
    assert alpha.criterion.to_dict() == {10: 40, 1: 20, 100: 60}
    assert alpha.minutes.to_dict() == {10: 1.0, 1: 2.0, 100: 3.0}
    table = sensitivity_table(df)
    assert list(table.index.get_level_values("value")) == [1, 10, 100, 1500, 15000, 150000]


def test_a_grid_over_two_parameters_is_refused_naming_its_file(tmp_path):
    bad = tmp_path / "two.json"
    bad.write_text(json.dumps({"method": "memit", "chosen": {}, "points": [
        {"overrides": {"L2": 1, "v_lr": 0.5}, "score": 1, "seconds": 1, "efficacy_top": 1,
         "generalization_top": 1, "specificity_top": 1}]}))
    with pytest.raises(ValueError, match="two.json"):
        load_tunings([bad])


def test_the_report_command_writes_the_table_and_the_figure(tmp_path, capsys):
    a = _tuning(tmp_path / "a.json", "alphaedit", "L2", [10, 1, 100], 10, [(90, 40), (95, 20), (70, 30)])
    assert main(["tune-report", str(a), "--out", str(tmp_path / "s")]) == 0
    for ext in ("md", "csv", "tex", "png"):
        assert (tmp_path / f"s.{ext}").stat().st_size > 0
    assert "| alphaedit" in (tmp_path / "s.md").read_text()
    assert main(["tune-report", str(tmp_path / "missing.json"), "--out", str(tmp_path / "t")]) == 2
    assert "missing.json" in capsys.readouterr().err
