"""Choosing hparams on a held-out slice: the grid, the slice guard, the choice, the command."""
import json

import pytest

from deltaedit.cli import main
from deltaedit.study.tune import grid_points, held_out, parse_grid


def test_grid_is_the_product_in_the_given_order_with_typed_values():
    grid = parse_grid(["v_lr=0.2,0.1", "L2=1,big"])
    assert grid == {"v_lr": [0.2, 0.1], "L2": [1, "big"]}
    assert grid_points(grid) == [{"v_lr": 0.2, "L2": 1}, {"v_lr": 0.2, "L2": "big"},
                                 {"v_lr": 0.1, "L2": 1}, {"v_lr": 0.1, "L2": "big"}]
    with pytest.raises(ValueError, match="v_lr"):
        parse_grid(["v_lr"])
    # a list value (the edited layers) keeps its commas; a broken one names its item
    assert parse_grid(["layers=[0, 1],[1,2]"]) == {"layers": [[0, 1], [1, 2]]}
    with pytest.raises(ValueError, match="layers"):
        parse_grid(["layers=[0,1"])
    # an exponent without a dot is the number it means (YAML 1.1 alone reads "5e-4" as text: FT's step-1 grid)
    lrs = parse_grid(["lr=5e-4,5E-5,5.0e-3,+1e2"])["lr"]
    assert lrs == [5e-4, 5e-5, 5e-3, 100.0] and all(type(x) is float for x in lrs)
    assert parse_grid(["trigger=5e,e5,code"]) == {"trigger": ["5e", "e5", "code"]}


def test_the_slice_must_fit_and_stay_outside_the_scored_records():
    records = list(range(10))
    assert held_out(records, 7, 3) == [7, 8, 9]
    with pytest.raises(ValueError, match="does not fit"):
        held_out(records, 8, 3)
    with pytest.raises(ValueError, match="inside the first 8"):
        held_out(records, 7, 3, n_scored=8)


def _tune(world, method: str, grid: str, *extra: str, start: int = 20) -> list[str]:
    """A `deltaedit tune` command line on the tiny world's GPT-2, slice from `start`, 20 records scored."""
    return ["tune", "--model", str(world / "models/gpt2"), "--records", str(world / "counterfact.json"),
            "--method", method, "--hparams", "factworld-tiny-gpt2", "--start", str(start), "--scored", "20",
            "--grid", grid, "--corpus", str(world / "background.txt"), *extra]


@pytest.mark.slow
def test_tune_runs_every_point_on_the_slice_and_picks_the_best(tiny_world, tmp_path, capsys):
    world, _ = tiny_world
    out = tmp_path / "tune.json"
    rc = main(_tune(world, "alphaedit", "v_lr=0.5,0.000001", "--n", "4", "--stats-n", "200", "--out", str(out)))
    assert rc == 0, capsys.readouterr().err
    result = json.loads(out.read_text())
    assert result["case_ids"] == list(range(20, 24)) or len(set(result["case_ids"])) == 4
    tiny = next(p for p in result["points"] if p["overrides"]["v_lr"] == 0.000001)
    assert tiny["efficacy_top"] <= 25                          # a vanishing value step: (almost) nothing is edited
    best = max(result["points"], key=lambda p: p["score"])
    assert result["chosen"] == best["overrides"] and best["overrides"]["v_lr"] == 0.5
    rc = main(_tune(world, "alphaedit", "v_lr=0.5", "--out", str(out), start=5))
    assert rc == 2 and "inside the first 20" in capsys.readouterr().err


@pytest.mark.slow
def test_tuning_starts_its_templates_from_the_seed_words_the_study_runs_use(tiny_world, tmp_path, capsys):
    from deltaedit.core.templates import HUB_TEMPLATE_WORDS

    world, _ = tiny_world
    args = _tune(world, "memit", "mom2_update_weight=20", "--n", "1", "--stats-n", "50")
    made = {}
    for flag in ([], ["--hub-templates"]):
        assert main([*args, *flag, "--out", str(tmp_path / "t.json")]) == 0, capsys.readouterr().err
        made[bool(flag)] = set(json.loads((tmp_path / "t.json").read_text())["templates"]) - {"{}"}
    assert made[True] and all(t.startswith(tuple(HUB_TEMPLATE_WORDS)) for t in made[True])
    assert made[False] and made[False] != made[True]             # EOS-started by default, as the fact world's runs


@pytest.mark.slow
def test_a_tuning_with_a_work_folder_resumes_and_scores_as_in_memory(tiny_world, tmp_path, capsys):
    world, _ = tiny_world
    args = _tune(world, "memit", "mom2_update_weight=20,2000", "--n", "3", "--stats-n", "200")
    assert main([*args, "--out", str(tmp_path / "mem.json")]) == 0
    assert main([*args, "--work", str(tmp_path / "work"), "--out", str(tmp_path / "a.json")]) == 0
    done = sorted(p.parent.name for p in (tmp_path / "work" / "memit").glob("*/scores.json"))
    assert done == ["mom2_update_weight=20", "mom2_update_weight=2000"]
    (tmp_path / "work" / "memit" / "mom2_update_weight=2000" / "scores.json").unlink()   # as if stopped there
    assert main([*args, "--work", str(tmp_path / "work"), "--out", str(tmp_path / "b.json")]) == 0
    mem, a, b = (json.loads((tmp_path / f).read_text()) for f in ("mem.json", "a.json", "b.json"))
    assert a["points"][0] == b["points"][0]                      # the finished point is read back, not rerun
    for p, q in zip(mem["points"], b["points"]):
        assert p["overrides"] == q["overrides"]
        assert p["efficacy_top"] == pytest.approx(q["efficacy_top"]) and p["specificity_top"] == pytest.approx(q["specificity_top"])


@pytest.mark.slow
def test_the_value_step_is_chosen_by_the_target_probability_it_reaches(tiny_world, tmp_path, capsys):
    world, _ = tiny_world
    out = tmp_path / "value.json"
    rc = main(["tune", "--model", str(world / "models/gpt2"), "--records", str(world / "counterfact.json"),
               "--method", "memit", "--hparams", "factworld-tiny-gpt2", "--start", "20", "--n", "3", "--scored", "20",
               "--value-step", "--grid", "v_lr=0.000001,0.5", "--out", str(out)])
    assert rc == 0, capsys.readouterr().err
    result = json.loads(out.read_text())
    tiny, real = result["points"]
    assert real["mean_prob"] > tiny["mean_prob"] + 0.05 and result["chosen"] == {"v_lr": 0.5}
    assert main(["tune", "--model", str(world / "models/gpt2"), "--records", str(world / "counterfact.json"),
                 "--method", "memit", "--hparams", "factworld-tiny-gpt2", "--start", "20", "--n", "3",
                 "--grid", "v_lr=0.5", "--out", str(out)]) == 2
    assert "--corpus is needed" in capsys.readouterr().err
