"""Tables, figures and analyses read cached artifacts; their arithmetic is checked on hand-made files."""
import json

import pytest
import torch

from deltaedit.eval.analysis import drift, last_hidden, plot_tsne, tsne_pairs
from deltaedit.study.tables import eta_table, general_table, load_general, load_scores, plot_eta, plot_general
from tests.conftest import tiny_gpt2
from tests.test_metrics import word_tokenizer


def _write(path, blob):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(blob))


def test_general_results_get_the_unedited_model_as_zero_edits_and_f1_differences(tmp_path):
    root = tmp_path / "general" / "m"
    _write(root / "counterfact" / "unedited.json", {"n_edits": 0, "tasks": {"world_facts": {"f1": 0.9, "acc": 0.9, "n": 4}}})
    for method, f1 in (("memit", 0.6), ("alphaedit", 0.8)):
        _write(root / "counterfact" / method / "50.json",
               {"n_edits": 50, "tasks": {"world_facts": {"f1": f1, "acc": f1, "n": 4}}})
    df = load_general(sorted(map(str, tmp_path.rglob("*.json"))))
    table = general_table(df)
    assert table.loc[("m", "counterfact", "memit", "world_facts"), 0] == pytest.approx(0.9)
    assert table.loc[("m", "counterfact", "alphaedit", "world_facts"), 50] == pytest.approx(0.8)
    diff = df.set_index(["method", "n_edits"]).f1_diff
    assert diff[("memit", 50)] == pytest.approx(-0.3) and diff[("alphaedit", 0)] == pytest.approx(0.0)
    plot_general(df, "f1_diff", "F1 change", tmp_path / "diff.png")          # curves without a CI band
    assert (tmp_path / "diff.png").stat().st_size > 1000


def test_eta_table_orders_the_sweep_and_keeps_top_metrics(tmp_path):
    summary = lambda e: {m: {"mean": v, "ci_low": v, "ci_high": v, "n": 3}
                         for m, v in (("efficacy_top", 90 + e), ("specificity_top", 80 - e), ("efficacy_larger", 1))}
    for eta in ("3.0", "2.0"):
        _write(tmp_path / "eta" / "m" / "counterfact" / eta / "100.json",
               {"n_edits": 100, "summary": summary(float(eta)), "diagnostics": {}})
    table = eta_table(load_scores(sorted(tmp_path.rglob("*.json"))), [3.0, 2.0])
    assert list(table.index) == [2.0, 3.0] and list(table.columns) == ["efficacy_top", "specificity_top"]
    assert table.loc[3.0, "specificity_top"] == pytest.approx(77.0)
    plot_eta(table, tmp_path / "eta.png")
    assert (tmp_path / "eta.png").stat().st_size > 1000


def test_last_hidden_reads_each_prompts_own_last_token_under_right_padding():
    model, tok = tiny_gpt2(), word_tokenizer()
    prompts = ["A is x", "B is y z ?", "C"]
    h = last_hidden(model, tok, prompts, batch_size=2)
    for i, p in enumerate(prompts):
        ids = torch.tensor([tok(p)["input_ids"]])
        with torch.no_grad():
            alone = model(ids, output_hidden_states=True).hidden_states[-1][0, -1]
        torch.testing.assert_close(h[i], alone, rtol=1e-4, atol=1e-5)


def test_drift_is_the_median_relative_displacement(tmp_path):
    base = torch.tensor([[3.0, 4.0], [1.0, 0.0], [0.0, 2.0]])
    moved = base + torch.tensor([[0.0, 5.0], [0.0, 0.0], [1.0, 0.0]])      # relative 1, 0, 0.5
    assert drift(base, moved) == pytest.approx(0.5)
    pts = tsne_pairs(torch.randn(12, 4, generator=torch.Generator().manual_seed(0)), {"x": torch.randn(12, 4)})
    assert pts["x"].shape == (24, 2)
    plot_tsne(pts, 12, "t", tmp_path / "t.png")
    assert (tmp_path / "t.png").stat().st_size > 1000


def test_the_report_front_page_leads_with_verdicts_table1_and_fig1(tmp_path):
    from docutils.core import publish_parts

    from deltaedit.study.front import front_page
    from deltaedit.study.tables import table1, write_table

    for method, eff in (("memit", 100.0), ("alphaedit", 50.0)):
        summary = {m: {"mean": eff, "ci_low": eff - 1, "ci_high": eff, "n": 2}
                   for m in ("efficacy_top", "generalization_top", "specificity_top", "efficacy_larger")}
        _write(tmp_path / "scores" / "m" / "counterfact" / method / "4.json",
               {"n_edits": 4, "summary": summary, "diagnostics": {}})
    write_table(table1(load_scores(sorted(tmp_path.rglob("*.json")))), tmp_path / "table1")
    from deltaedit.eval.plots import new_figure, save_figure
    fig, (ax,) = new_figure()
    ax.plot(range(10_000), [i % 97 for i in range(10_000)])
    save_figure(fig, tmp_path / "fig1.png")
    png = tmp_path / "fig1.png"
    assert png.stat().st_size > 10_000            # longer than docutils' line-length limit once encoded
    _write(tmp_path / "claims.json", {"verdicts": {"a": "holds", "c": "does not hold"}, "models": {}})
    run = {"preset": "smoke", "models": ["m"], "methods": ["memit", "alphaedit"], "datasets": ["counterfact"],
           "checkpoints": [2, 4], "long_runs": {"models": ["m"], "datasets": ["counterfact"], "methods": ["memit"],
                                                "checkpoints": [6]}}
    out = tmp_path / "front.rst"
    front_page(run, tmp_path / "table1.csv", png, tmp_path / "claims.json", out)
    text = out.read_text()
    assert text.index("What this run found") < text.index("noise_E rises and Efficacy_top falls") < text.index("Table 1 in brief") \
        < text.index("data:image/png;base64,") < text.index("What was run")
    assert "does not hold" in text and "100.0 [99.0, 100.0]" in text and "50.0 [49.0, 50.0]" in text
    assert "go on to [6] edits" in text and "memit" in text.split("Long runs:")[1]
    front_page({**run, "general": ["world_facts"], "general_on": {"runs": ["alphaedit"], "datasets": ["counterfact"]}},
               tmp_path / "table1.csv", png, tmp_path / "claims.json", out)     # lm-eval on some runs only: which
    assert "lm-eval tasks world_facts on alphaedit / counterfact." in out.read_text()
    html = publish_parts(text, writer="html")["html_body"]                  # valid reStructuredText
    assert "<table" in html and "<img" in html and "System Message" not in html and "<ol" not in html
    import base64
    assert base64.b64encode(png.read_bytes()).decode() in html                  # the figure, whole, inline
    # protocol v2: the claims judged twice, on the teacher-forced and on the generation-based columns
    _write(tmp_path / "claims.json", {"protocol": "v2", "models": {}, "verdicts": {
        "teacher_forced": {"0": "reproduced", "c": "inconclusive"}, "generation": {"0": "not reproduced", "c": "n/a"}}})
    front_page(run, tmp_path / "table1.csv", png, tmp_path / "claims.json", out)
    rows = out.read_text().split("What this run found")[1].split("Table 1 in brief")[0]
    assert "generation-based" in rows and rows.index("AlphaEdit above MEMIT") < rows.index("reproduced") \
        < rows.index("not reproduced") < rows.index("DeltaEdit: lower noise_E") < rows.index("inconclusive")
    # this project's variants: a row where they ran, none where the configuration has none
    for beyond, shown in (("reproduced", True), ("n/a", False)):
        _write(tmp_path / "claims.json", {"protocol": "v2", "models": {}, "verdicts": {
            "teacher_forced": {"0": "reproduced", "beyond": beyond}, "generation": {"0": "reproduced", "beyond": beyond}}})
        front_page(run, tmp_path / "table1.csv", png, tmp_path / "claims.json", out)
        assert ("this project's variants" in out.read_text()) == shown
