"""`deltaedit compare`: two runs paired from their score files (deltaedit.study.compare), on files written by hand."""
import json

import pytest

from deltaedit.cli import main
from deltaedit.study.compare import compare_runs

METRICS = ("efficacy_top", "generalization_top", "specificity_top")


def write_scores(folder, run, n, per_record: dict, noise=None):
    """One score file: per_record {case_id: {metric: value}}; noise {layer: noise_E}."""
    recs = [dict(case_id=cid, **vals) for cid, vals in per_record.items()]
    summary = {m: dict(mean=100 * sum(r[m] for r in recs) / len(recs), ci_low=0.0, ci_high=100.0, n=len(recs))
               for m in METRICS}
    (folder / run).mkdir(parents=True, exist_ok=True)
    blob = dict(n_edits=n, summary=summary, records=recs, diagnostics={"noise_E": noise or {}})
    (folder / run / f"{n}.json").write_text(json.dumps(blob))


@pytest.fixture
def scores(tmp_path):
    """Worked by hand. Two orders (the run and its replica -o1), four records each, at 4 edits (and 2 edits
    for the file order only). Efficacy: the method hits every record, the baseline none -> +100 with a
    zero-width interval in both orders. Specificity: the reverse -> -100. Generalization: the method hits
    records 1 and 2, the baseline 3 and 4 -> differences (+1, +1, -1, -1), mean 0, an interval around 0."""
    folder = tmp_path / "scores" / "tiny-model" / "counterfact"
    for suffix, ids in (("", (1, 2, 3, 4)), ("-o1", (3, 4, 1, 2))):
        write_scores(folder, "m" + suffix, 4, {i: dict(efficacy_top=1, specificity_top=0, generalization_top=float(i <= 2))
                                               for i in ids}, noise={"0": 10.0, "1": 20.0})
        write_scores(folder, "b" + suffix, 4, {i: dict(efficacy_top=0, specificity_top=1, generalization_top=float(i > 2))
                                               for i in ids}, noise={"0": 5.0, "1": 40.0})
    write_scores(folder, "m", 2, {1: dict(efficacy_top=1, specificity_top=1, generalization_top=1),
                                  2: dict(efficacy_top=1, specificity_top=1, generalization_top=1)})
    return folder


def test_paired_differences_and_words_worked_by_hand(scores):
    r = compare_runs(scores, "m", "b", list(METRICS))
    assert r["n"] == 4 and r["model"] == "tiny-model" and r["dataset"] == "counterfact"
    eff, gen, spec = (r["metrics"][m] for m in METRICS)
    assert [o["order"] for o in eff["orders"]] == ["file order", "-o1"]
    for o in eff["orders"]:
        assert (o["mean"], o["ci_low"], o["ci_high"], o["n"]) == (100.0, 100.0, 100.0, 4)
    assert eff["word"] == "higher in every order" and spec["word"] == "lower in every order"
    assert all(o["mean"] == -100.0 for o in spec["orders"])
    assert all(o["mean"] == 0.0 and o["ci_low"] < 0 < o["ci_high"] for o in gen["orders"])
    assert gen["word"] == "not separated in at least one order"
    assert r["noise_E"] == {"m": {"": 20.0, "-o1": 20.0}, "b": {"": 40.0, "-o1": 40.0}}   # the last layer, 1


def test_the_cli_prints_one_line_per_metric(scores, capsys):
    assert main(["compare", str(scores), "m", "b", "--metrics", "efficacy_top"]) == 0
    out = capsys.readouterr().out
    assert "m − b at 4 edits (tiny-model, counterfact)" in out
    assert "efficacy_top: file order: +100.0 [+100.0, +100.0], -o1: +100.0 [+100.0, +100.0] -> higher in every order" in out
    assert "noise_E, last edited layer, b: file order 40.0, -o1 40.0" in out


@pytest.mark.parametrize("args,culprit", [
    (["m", "nope"], "'nope'"),
    (["m", "b", "--metrics", "efficacy_top", "fluency"], "fluency"),
    (["m", "b", "--n", "2"], "checkpoint 2"),        # the baseline never reached 2 edits
])
def test_bad_input_names_the_culprit(scores, capsys, args, culprit):
    assert main(["compare", str(scores), *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and culprit in err[0], err


def test_the_baseline_may_live_in_another_folder(scores, tmp_path, capsys):
    """A sweep point against a main run: the baseline's files moved to a folder of the same model and dataset
    give the same differences; a folder of another dataset, or two runs of one name, is one error."""
    together = compare_runs(scores, "m", "b", list(METRICS))
    other = tmp_path / "sweep" / "tiny-model" / "counterfact"
    other.mkdir(parents=True)
    for run in ("b", "b-o1"):
        (scores / run).rename(other / run)
    with pytest.raises(ValueError, match="'b'"):
        compare_runs(scores, "m", "b", list(METRICS))
    apart = compare_runs(scores, "m", "b", list(METRICS), baseline_scores=other)
    assert apart["metrics"] == together["metrics"] and apart["noise_E"] == together["noise_E"]
    assert [o["mean"] for o in apart["metrics"]["efficacy_top"]["orders"]] == [100.0, 100.0]
    wrong = tmp_path / "sweep" / "tiny-model" / "zsre"
    wrong.mkdir()
    for args, culprit in (([str(scores), "m", "b", "--baseline-scores", str(wrong)], "zsre"),
                          ([str(scores), "m", "m", "--baseline-scores", str(other)], "'m'")):
        assert main(["compare", *args]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and culprit in err[0], err


@pytest.fixture
def zsre_scores(tmp_path):
    """zsRE's token-accuracy columns, worked by hand: three records in file order; the method's efficacy is
    (1, 1, 0.5) against the baseline's (0, 0.5, 0.5) -> differences (1, 0.5, 0), mean +50 points;
    specificity equal (0.75 each) -> 0 with a zero-width interval."""
    folder = tmp_path / "scores" / "tiny-model" / "zsre"
    for run, eff in (("m", (1.0, 1.0, 0.5)), ("b", (0.0, 0.5, 0.5))):
        recs = [dict(case_id=i, efficacy=e, generalization=e, specificity=0.75) for i, e in enumerate(eff)]
        (folder / run).mkdir(parents=True)
        blob = dict(n_edits=3, records=recs, diagnostics={"noise_E": {}},
                    summary={m: dict(mean=0.0, ci_low=0.0, ci_high=0.0, n=3) for m in ("efficacy", "generalization", "specificity")})
        (folder / run / "3.json").write_text(json.dumps(blob))
    return folder


def test_zsre_compares_its_own_columns_by_default(zsre_scores):
    r = compare_runs(zsre_scores, "m", "b")
    assert list(r["metrics"]) == ["efficacy", "specificity"]
    (eff,), (spec,) = r["metrics"]["efficacy"]["orders"], r["metrics"]["specificity"]["orders"]
    assert eff["mean"] == pytest.approx(50.0) and eff["n"] == 3
    assert (spec["mean"], spec["ci_low"], spec["ci_high"]) == (0.0, 0.0, 0.0)


def test_a_column_the_dataset_lacks_is_named(zsre_scores, capsys):
    assert main(["compare", str(zsre_scores), "m", "b", "--metrics", "efficacy_top"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "efficacy_top" in err[0] and "not in the score files" in err[0], err
