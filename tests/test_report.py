"""Tables, figures and analyses read cached artifacts; their arithmetic is checked on hand-made files."""
import json

import pytest
import torch

from deltaedit.eval.analysis import drift, last_hidden, plot_tsne, tsne_pairs
from deltaedit.report import eta_table, general_table, load_general, load_scores, plot_eta, plot_general
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
