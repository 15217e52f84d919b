"""The workflow's jobs (deltaedit.workflow.jobs), the fact world's checks and summary, and the downloader, in
seconds: the tiny world's files with an untrained model of its size (the slow tests pretrain one)."""
import io
import json
from pathlib import Path

import numpy as np
import pytest

from deltaedit.factworld.build import check_model
from deltaedit.workflow import jobs

MODEL = "factworld-tiny-gpt2"


def test_every_job_of_a_run_from_templates_to_analysis(world, tmp_path):
    m, cf = str(world / "models/gpt2"), str(world / "counterfact.json")
    jobs.templates_job(m, str(tmp_path / "templates.json"), None, "10x5")
    templates = json.loads((tmp_path / "templates.json").read_text())
    assert templates[0] == "{}" and len(templates) == 6 and all(t.endswith("{}") for t in templates)
    jobs.stats_job(m, MODEL, [0], str(tmp_path / "stats.pt"), str(world / "background.txt"), 50, 64)
    jobs.reference_job(m, cf, "counterfact", 4, str(tmp_path / "reference.json"))
    assert len(json.loads((tmp_path / "reference.json").read_text())) == 4
    run = tmp_path / "edits/memit"
    jobs.edit_job(m, cf, "counterfact", "memit", MODEL, str(tmp_path / "templates.json"), str(tmp_path / "stats.pt"),
                  str(run), [1, 2], order_seed=0, pool=4)
    jobs.noedit_job(cf, "counterfact", [1, 2], 0, str(tmp_path / "edits/noedit"), pool=4)
    edited = json.loads((run / "ckpt_2/edited.json").read_text())
    assert json.loads((tmp_path / "edits/noedit/ckpt_2/edited.json").read_text()) == edited   # the same records
    general = {"tasks": ["world_facts"], "limit": 8}
    outs = [str(tmp_path / f"scores/{n}.json") for n in (1, 2)]
    spec = {"n": 2, "n_prompts": 12, "n_cases": 1, "order_seed": 0}
    jobs.score_job(m, cf, "counterfact", [str(run / "ckpt_1"), str(run / "ckpt_2")], str(tmp_path / "reference.json"),
                   outs, general, 4, [str(tmp_path / f"general/{n}.json") for n in (1, 2)],
                   analysis={**spec, "out": str(tmp_path / "parts/memit.npz")})
    scores = [json.loads(Path(o).read_text()) for o in outs]
    assert [s["n_edits"] for s in scores] == [1, 2] and [len(s["records"]) for s in scores] == [1, 2]
    assert set(scores[1]["diagnostics"]["noise_E"]) == {"0"} and "efficacy_top" in scores[1]["summary"]
    assert json.loads((tmp_path / "general/2.json").read_text())["tasks"]["world_facts"]["n"] == 8
    jobs.score_job(m, cf, "counterfact", [str(tmp_path / "edits/noedit/ckpt_2")], str(tmp_path / "reference.json"),
                   [str(tmp_path / "noedit.json")])
    unedited = json.loads((tmp_path / "noedit.json").read_text())["summary"]
    assert unedited["specificity_top"]["mean"] == 100                   # o^c is the unedited model's own prediction
    jobs.general_job(m, cf, "counterfact", general, 4, str(tmp_path / "general/unedited.json"))
    assert json.loads((tmp_path / "general/unedited.json").read_text())["n_edits"] == 0
    jobs.score_job(m, cf, "counterfact", [str(tmp_path / "edits/noedit/ckpt_2")], str(tmp_path / "reference.json"),
                   [str(tmp_path / "noedit2.json")], analysis={**spec, "out": str(tmp_path / "parts/noedit.npz")})
    parts = {r: str(tmp_path / f"parts/{r}.npz") for r in ("memit", "noedit")}
    from deltaedit.eval.analysis import last_hidden
    from deltaedit.models import applied
    from deltaedit.runner import read_checkpoint
    model, tok = jobs.load(m)                   # the part equals the run's checkpoint applied to a fresh model
    prompts = [r.request.filled for r in jobs.load_records(cf, "counterfact", on_invalid="skip")[:12]]
    with applied(model, read_checkpoint(str(run / "ckpt_2"))[0]):
        assert np.array_equal(np.load(parts["memit"])["hidden"], last_hidden(model, tok, prompts).numpy())
    jobs.analysis_job(m, cf, "counterfact", parts, 12, 1, 0, 4, str(tmp_path / "tsne.png"),
                      str(tmp_path / "drift.json"), str(tmp_path / "cases.md"))
    drift = json.loads((tmp_path / "drift.json").read_text())["methods"]
    assert drift["memit"]["n_edits"] == 2 and drift["memit"]["median_relative_drift"] > 0
    assert drift["noedit"]["median_relative_drift"] == 0                # its part is the unedited model's own
    cases = (tmp_path / "cases.md").read_text()
    assert "| unedited |" in cases and "| memit |" in cases and (tmp_path / "tsne.png").stat().st_size > 1000
    first = jobs.analysis_cases(cf, "counterfact", 4, 1, 0)[0].request
    assert first.case_id == edited[0] and f"### {first.filled} …" in cases   # the first fact the runs edit
    with pytest.raises(ValueError, match="memit.npz: 12 prompts"):      # a part made for another analysis
        jobs.analysis_job(m, cf, "counterfact", parts, 12, 2, 0, 4, str(tmp_path / "t.png"), str(tmp_path / "d.json"),
                          str(tmp_path / "c.md"))


def test_score_job_needs_one_output_per_checkpoint(world, tmp_path):
    with pytest.raises(ValueError, match="one output per checkpoint"):
        jobs.score_job("unused", "unused", "counterfact", ["a", "b"], None, [str(tmp_path / "x.json")])
    with pytest.raises(ValueError, match=r"analysis checkpoint \(3 edits\) is not among"):
        jobs.score_job("unused", "unused", "counterfact", ["r/ckpt_1", "r/ckpt_2"], None, ["x.json", "y.json"],
                       analysis={"n": 3, "n_prompts": 1, "n_cases": 1, "order_seed": 0, "out": "p.npz"})


def test_the_fact_world_checks_and_summary_of_a_model(world, tmp_path):
    from deltaedit.factworld.report import markdown, plot_editability, summarize

    checks = check_model("tiny", world, "gpt2", out_json=tmp_path / "checks.json")
    assert set(checks["accuracy"]) == {"main", "paraphrase", "neighborhood"}
    assert all(0 <= v <= 1 for v in checks["accuracy"].values()) and set(checks["editability"]) == {"0", "1"}
    summary = summarize(world, {"gpt2": tmp_path / "checks.json"}, {"gpt2": world / "models/gpt2"})
    assert summary["world"]["records"] == len(json.loads((world / "counterfact.json").read_text()))
    assert "| gpt2 |" in markdown(summary)
    plot_editability(summary, tmp_path / "editability.png")
    assert (tmp_path / "editability.png").stat().st_size > 1000


def test_download_writes_whole_files_only(tmp_path, monkeypatch):
    import urllib.request

    from deltaedit.data import download

    with pytest.raises(KeyError, match="known: .*zsre_mend_eval.json"):
        download.download("nosuch.json", tmp_path / "x")
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: io.BytesIO(b'[{"case_id": 0}]'))
    assert download.download("counterfact.json", tmp_path / "cf.json").read_bytes() == b'[{"case_id": 0}]'

    class Broken(io.BytesIO):
        def read(self, *a):
            raise OSError("connection reset")
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: Broken())
    with pytest.raises(OSError, match="connection reset"):
        download.download("zsre_mend_eval.json", tmp_path / "zsre.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cf.json"]       # nothing partial is left behind


def test_one_fact_from_the_command_line_then_its_generations(world, tmp_path, capsys):
    from deltaedit.cli import main
    from deltaedit.data import load_counterfact

    r = load_counterfact(world / "counterfact.json")[0].request
    m, out = str(world / "models/gpt2"), str(tmp_path / "run")
    argv = ["edit", "--model", m, "--method", "memit", "--hparams", "factworld-tiny-gpt2", "--subject", r.subject,
            "--prompt", r.prompt, "--target-new", r.target_new, "--eos-templates", "--stats-n", "8",
            "--stats-max-len", "16", "--out", out]
    assert main(argv) == 0
    run = json.loads((tmp_path / "run/run.json").read_text())
    assert run["fact"]["subject"] == r.subject and run["n"] == 1 and "model_source" not in run   # not a GGUF model
    assert main(["generate", "--run", out, "--prompt", r.filled, "--max-new-tokens", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-3] == r.filled and lines[-2].startswith("  unedited: ") and lines[-1].startswith("  edited (memit, 1 edits): ")
    assert main(["score", "--run", out]) == 2 and "deltaedit generate" in capsys.readouterr().err   # no records


def test_the_models_own_text_is_seeded_and_leaves_the_random_state_alone(world):
    import torch

    from deltaedit.models import load_model
    from deltaedit.stats import model_texts

    model, tok = load_model(world / "models/gpt2")
    state = torch.get_rng_state()
    a, b = model_texts(model, tok, 5, 8, seed=1, batch_size=2), model_texts(model, tok, 5, 8, seed=1, batch_size=2)
    assert a == b and len(a) == 5 and a[0].startswith("The") and a[1].startswith("Therefore")
    assert torch.equal(torch.get_rng_state(), state) and tok.padding_side == "right"
    assert model_texts(model, tok, 5, 8, seed=2, batch_size=2) != a
