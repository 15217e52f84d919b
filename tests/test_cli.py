"""The `deltaedit` command on the tiny world: edit (resumable, --save-model), score, methods, and the one-line
errors of bad arguments."""
import json

import pytest

from deltaedit.cli import main


def run(capsys, *argv):
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.mark.slow
def test_edit_save_model_reloads_and_answers_the_new_object(tiny_world, tmp_path, capsys):
    from transformers import AutoModelForCausalLM

    from deltaedit.data import load_counterfact
    from deltaedit.models import load_tokenizer
    from deltaedit.eval.scoring import target_probability
    world, _ = tiny_world
    out = tmp_path / "run"
    args = ["edit", "--model", str(world / "models/gpt2"), "--method", "rome", "--records",
            str(world / "counterfact.json"), "--n", "3", "--out", str(out), "--hparams", "factworld-tiny-gpt2",
            "--stats-corpus", str(world / "background.txt"), "--eos-templates", "--save-model", "--checkpoints", "1"]
    rc, stdout, err = run(capsys, *args)
    assert rc == 0, err
    assert (out / "run/ckpt_1/deltas.safetensors").exists() and (out / "run/ckpt_3/deltas.safetensors").exists()
    assert len(json.loads((out / "templates.json").read_text())) == 21          # ROME's own template set
    edited = AutoModelForCausalLM.from_pretrained(out / "model")
    tok = load_tokenizer(out / "model")
    req = load_counterfact(world / "counterfact.json")[0].request
    base = AutoModelForCausalLM.from_pretrained(world / "models/gpt2")
    assert target_probability(edited, tok, req) > 0.5 > target_probability(base, tok, req)                # it answers the new object
    # the same command again resumes (nothing left to edit) and changes nothing
    before = (out / "run/ckpt_3/deltas.safetensors").read_bytes()
    rc, _, err = run(capsys, *args)
    assert rc == 0, err and (out / "run/ckpt_3/deltas.safetensors").read_bytes() == before
    rc, stdout, err = run(capsys, "score", "--run", str(out))
    assert rc == 0, err
    scores = json.loads((out / "scores/3.json").read_text())
    assert scores["n_edits"] == 3 and scores["summary"]["efficacy_top"]["mean"] >= 66
    assert "3 edits: efficacy_top" in stdout


def test_methods_lists_every_method_with_its_hparams(capsys):
    rc, out, _ = run(capsys, "methods")
    assert rc == 0
    for m in ("ft", "rome", "memit", "prune", "rect", "alphaedit", "deltaedit"):
        assert any(line.startswith(m) for line in out.splitlines()), m
    assert "gpt2-xl" in out and "llama3-8b" in out and "5x10-10x10" in out


@pytest.mark.parametrize("case,culprit", [
    ("method", "unknown method 'alphaedt'"),
    ("model", "unknown model"),
    ("records_json", "not valid JSON"),
    ("records_format", "neither a CounterFact"),
    ("too_many", "--n 50"),
    ("hparams", "no hparams for method 'memit' and model 'nosuch'"),
    ("missing_records", "does not exist"),
    ("stats", "--stats-corpus is needed"),
])
def test_bad_arguments_give_one_line_naming_the_culprit(tmp_path, capsys, case, culprit):
    good = [{"requested_rewrite": {"prompt": "{} plays the", "subject": "Ann Lee", "target_new": {"str": "harp"},
                                   "target_true": {"str": "drum"}},
             "paraphrase_prompts": ["x. Ann Lee plays the"], "neighborhood_prompts": ["Bo plays the"]}] * 3
    records = tmp_path / "cf.json"
    records.write_text(json.dumps(good))
    argv = {"--model": str(tmp_path / "no_model"), "--method": "memit", "--records": str(records), "--n": "2",
            "--out": str(tmp_path / "out"), "--hparams": "gpt2-xl", "--stats-corpus": str(records)}
    if case == "method":
        argv["--method"] = "alphaedt"
    elif case == "records_json":
        records.write_text(json.dumps(good)[:-20])                      # truncated
    elif case == "records_format":
        records.write_text(json.dumps([{"question": "q"}]))
    elif case == "too_many":
        argv["--n"] = "50"
    elif case == "hparams":
        argv["--hparams"] = "nosuch"
    elif case == "missing_records":
        argv["--records"] = str(tmp_path / "nothing.json")
    elif case == "stats":
        del argv["--stats-corpus"]                                       # found before the model is loaded
    rc, _, err = run(capsys, "edit", *[x for kv in argv.items() for x in kv])
    assert rc == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and culprit in lines[0], err
    if case == "records_json":
        assert str(records) in lines[0]
    assert not (tmp_path / "out").exists()                               # nothing partial left behind


def test_help_everywhere(capsys):
    for sub in ([], ["edit"], ["score"], ["methods"], ["memory"], ["factworld"], ["bench"]):
        with pytest.raises(SystemExit) as e:
            main([*sub, "--help"])
        assert e.value.code == 0
        assert "usage: " in capsys.readouterr().out, sub
