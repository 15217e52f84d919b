"""Protocol v2's verdicts (deltaedit.study.verdicts) on score files made up so that each answer is known by hand."""
import json

import pandas as pd
import pytest

from deltaedit.study.claims import Runs, jsonable
from deltaedit.study.verdicts import all_of, evaluate, judge, paper_effect, to_markdown

MODEL, FAMILY, N = "smollm2-135m", "llama3-8b", 30
REPLICAS = {f"{run}-o{s}": [run, s] for run in ("memit", "alphaedit", "deltaedit") for s in (1, 2)}
TF, GEN = ("efficacy_top", "generalization_top", "specificity_top"), ("efficacy_gen", "generalization_gen", "specificity_top")


def write(root, run, values: dict, noise=100.0, n=N, reverse=False):
    """A score file: `values` maps a metric to one value per record (case_ids 0..k-1), or to one value for all."""
    k = max(len(v) for v in values.values() if isinstance(v, list)) if any(isinstance(v, list) for v in values.values()) else 20
    col = {m: v if isinstance(v, list) else [v] * k for m, v in values.items()}
    for m in ("efficacy_top", "generalization_top", "specificity_top", "efficacy_gen", "generalization_gen"):
        col.setdefault(m, [0.5] * k)
    recs = [{"case_id": i, **{m: col[m][i] for m in col}} for i in range(k)]
    recs = recs[::-1] if reverse else recs            # pairing goes by case_id, not by position in the file
    d = root / MODEL / "counterfact" / run
    d.mkdir(parents=True, exist_ok=True)
    summary = {m: {"mean": 100 * sum(col[m]) / k, "ci_low": 0.0, "ci_high": 100.0} for m in col}
    (d / f"{n}.json").write_text(json.dumps({"n_edits": n, "summary": summary, "records": recs,
                                             "diagnostics": {"noise_E": {"4": 1.0, "8": noise}}}))
    return d / f"{n}.json"


def three_orders(root, run, values, noise=(100.0, 100.0, 100.0), **kw):
    return [write(root, run + o, values, noise=z, **kw) for o, z in zip(("", "-o1", "-o2"), noise)]


def runs_of(paths):
    return Runs.from_files(paths, REPLICAS)


def test_all_of_is_a_conjunction_of_the_parts_words():
    assert all_of(["reproduced", "reproduced"]) == "reproduced"
    assert all_of(["reproduced", "not reproduced"]) == "not reproduced"
    assert all_of(["reproduced", "inconclusive", "n/a"]) == "inconclusive"
    assert all_of(["n/a"]) == all_of([]) == "n/a"


def test_paper_effects_are_table_1_differences_on_llama3_8b():
    assert paper_effect(FAMILY, "alphaedit", "memit", 0) == pytest.approx(77.07)
    assert paper_effect(FAMILY, "alphaedit", "memit", 2) == pytest.approx(17.59)
    assert paper_effect(FAMILY, "deltaedit", "alphaedit", 0) == pytest.approx(16.8)


def test_claim_0_by_hand(tmp_path):
    """AlphaEdit hits every record and MEMIT none: +100 points, an interval of zero width, in every order. Its
    Specificity_top is 0.6 against MEMIT's 0.5: +10 [10, 10] > 0, reproduced though below the paper's +17.59.
    With MEMIT's Specificity at 0.9 it is −30, below the paper's effect in every order: the conjunction fails."""
    paths = three_orders(tmp_path, "alphaedit", {"efficacy_top": 1.0, "specificity_top": 0.6})
    base = three_orders(tmp_path / "a", "memit", {"efficacy_top": 0.0, "specificity_top": 0.5})
    j = judge(runs_of(paths + base), MODEL, FAMILY, TF)
    eff, spec = j["zero"]["parts"]["efficacy_top"], j["zero"]["parts"]["specificity_top"]
    assert [o["mean"] for o in eff["orders"]] == [100.0] * 3 and eff["orders"][0]["ci_low"] == pytest.approx(100.0)
    assert spec["orders"][2]["ci_low"] == pytest.approx(10.0) and spec["verdict"] == "reproduced"
    assert j["verdicts"]["0"] == "reproduced" and j["zero"]["n"] == N
    worse = three_orders(tmp_path / "b", "memit", {"efficacy_top": 0.0, "specificity_top": 0.9})
    j = judge(runs_of(paths + worse), MODEL, FAMILY, TF)
    assert j["zero"]["parts"]["specificity_top"]["verdict"] == "not reproduced"
    assert j["verdicts"]["0"] == "not reproduced"


def test_records_pair_by_case_id_not_by_position(tmp_path):
    """Identical per-record scores listed in opposite orders in the two files: every paired difference is 0,
    so the interval is [0, 0]; not above 0, and below the paper's +77 in every order: not reproduced.
    Paired by position, the alternating 0/1 scores would give differences of ±1 and a wide interval."""
    alt = [i % 2 for i in range(20)]
    paths = three_orders(tmp_path, "alphaedit", {"efficacy_top": alt})
    paths += three_orders(tmp_path, "memit", {"efficacy_top": alt}, reverse=True)
    eff = judge(runs_of(paths), MODEL, FAMILY, TF)["zero"]["parts"]["efficacy_top"]
    assert all(o["ci_low"] == o["ci_high"] == 0.0 for o in eff["orders"])
    assert eff["verdict"] == "not reproduced"


@pytest.mark.parametrize("noise,spec,word", [
    ((50.0, 50.0, 50.0), 0.49, "reproduced"),            # all three parts in every order (−1 point is kept)
    ((50.0, 150.0, 50.0), 0.49, "inconclusive"),         # noise_E lower in two orders of three
    ((50.0, 50.0, 50.0), 0.47, "not reproduced"),        # Specificity_top 3 points lower in every order
])
def test_claim_c_needs_efficacy_noise_and_specificity_in_every_order(tmp_path, noise, spec, word):
    paths = three_orders(tmp_path, "alphaedit", {"efficacy_top": 0.5, "specificity_top": 0.5})
    paths += three_orders(tmp_path, "deltaedit", {"efficacy_top": 1.0, "specificity_top": spec}, noise=noise)
    c = judge(runs_of(paths), MODEL, FAMILY, TF)["c"]["deltaedit"]
    assert c["efficacy"]["verdict"] == "reproduced"                          # +50 [50, 50] in every order
    assert [s["specificity_kept"] for s in c["side"]] == [spec > 0.48] * 3
    assert c["verdict"] == word


def test_generation_columns_are_judged_apart_and_e_is_na_without_an_advantage(tmp_path):
    """DeltaEdit ahead teacher-forced (+50) but equal under generation ([0, 0] < +16.8): (c) is reproduced on
    the first columns and not on the second, where (e) has nothing to explain."""
    paths = three_orders(tmp_path, "alphaedit", {"efficacy_top": 0.5, "efficacy_gen": 0.2})
    paths += three_orders(tmp_path, "deltaedit", {"efficacy_top": 1.0, "efficacy_gen": 0.2}, noise=(50.0,) * 3)
    runs = runs_of(paths)
    tf, gen = judge(runs, MODEL, FAMILY, TF), judge(runs, MODEL, FAMILY, GEN)
    assert tf["verdicts"]["c"] == "reproduced" and gen["verdicts"]["c"] == "not reproduced"
    assert tf["e"] == {"verdict": "n/a", "reason": "the L2 control runs are not in this configuration"}
    assert gen["e"]["verdict"] == "n/a" and "no advantage" in gen["e"]["reason"]
    assert gen["c"]["deltaedit"]["efficacy"]["metric"] == "efficacy_gen"


def test_the_whole_evaluation_is_strict_json_with_both_column_sets(tmp_path):
    paths = three_orders(tmp_path, "alphaedit", {"efficacy_top": 1.0, "specificity_top": 0.6})
    paths += three_orders(tmp_path, "memit", {"efficacy_top": 0.0, "specificity_top": 0.5})
    paths += [write(tmp_path, run + o, {"efficacy_top": 0.9}, n=n) for run in ("alphaedit", "memit")
              for o in ("", "-o1", "-o2") for n in (10, 20)]
    triggers = pd.DataFrame(dict(model=MODEL, dataset="counterfact", method=["deltaedit"], edit=[1], fired=[True]))
    res = evaluate(runs_of(paths), {MODEL: FAMILY}, {MODEL: {8: {"dim": 3, "width": 1536}}}, triggers)
    assert res["protocol"] == "v2" and set(res["verdicts"]) == {"teacher_forced", "generation"}
    assert res["verdicts"]["teacher_forced"]["0"] == "reproduced"
    assert res["verdicts"]["generation"]["0"] == "not reproduced"     # efficacy_gen equal: [0, 0] < +77
    assert res["verdicts"]["teacher_forced"]["c"] == "n/a"             # no DeltaEdit run
    text = to_markdown(res)
    assert "| (0) | reproduced | not reproduced |" in text and "3 of 1536 key dimensions" in text
    json.dumps(jsonable(res), allow_nan=False)


def test_this_projects_variant_is_judged_by_c_and_kept_out_of_the_claims(tmp_path):
    """`deltaedit-track` one order, +50 Efficacy_top with lower noise: reproduced by (c)'s criteria, reported
    under "beyond", while (c) itself, with no DeltaEdit rule of the paper, stays n/a."""
    paths = three_orders(tmp_path, "alphaedit", {"efficacy_top": 0.5})
    paths.append(write(tmp_path, "deltaedit-track", {"efficacy_top": 1.0}, noise=50.0))
    j = judge(runs_of(paths), MODEL, FAMILY, TF)
    assert j["verdicts"]["c"] == "n/a" and j["verdicts"]["beyond"] == "reproduced"
    assert j["beyond"]["deltaedit-track"]["efficacy"]["orders"][0]["mean"] == pytest.approx(50.0)
    res = evaluate(runs_of(paths), {MODEL: FAMILY}, {MODEL: {}}, pd.DataFrame(
        columns=["model", "dataset", "method", "edit", "fired"]))
    text = to_markdown(res)
    assert "| this project's variants (deltaedit-track) by (c)'s criteria | reproduced |" in text
    assert "beyond the paper: deltaedit-track − alphaedit, efficacy_top" in text
