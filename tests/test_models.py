import pytest
import torch

from deltaedit.hooks import Capture
from deltaedit.models import (ADAPTERS, UnsupportedArchitecture, adapter_for, add_delta, applied, apply_deltas,
                              read_weight, weight_shape)


def _mlp_io(model, layer, x_ids):
    ad = adapter_for(model)
    with Capture(model, [ad.key_site(layer)], "input") as ki, Capture(model, [ad.key_site(layer)], "output") as vo:
        model(input_ids=x_ids)
    return ki[ad.key_site(layer)], vo[ad.key_site(layer)]


def test_delta_changes_mlp_output_by_x_delta_T(tiny_model):
    """Adding Δ through the adapter changes the MLP output by exactly k·Δᵀ (math orientation [d, m])."""
    x = torch.randint(0, 64, (2, 7))
    k, v0 = _mlp_io(tiny_model, 1, x)
    d, m = weight_shape(tiny_model, 1)
    assert k.shape[-1] == m and v0.shape[-1] == d
    delta = torch.randn(d, m) * 0.1
    add_delta(tiny_model, 1, delta)
    k1, v1 = _mlp_io(tiny_model, 1, x)
    torch.testing.assert_close(k1, k)                    # the key is the input: unchanged
    torch.testing.assert_close(v1 - v0, k @ delta.T, atol=1e-5, rtol=1e-4)


def test_read_weight_is_math_orientation(tiny_model):
    """W from read_weight maps keys to values: k Wᵀ + b equals the module output."""
    x = torch.randint(0, 64, (1, 5))
    k, v = _mlp_io(tiny_model, 0, x)
    w = read_weight(tiny_model, 0)
    mod = tiny_model.get_submodule(adapter_for(tiny_model).key_site(0))
    b = mod.bias if getattr(mod, "bias", None) is not None else 0
    torch.testing.assert_close(k @ w.T + b, v, atol=1e-5, rtol=1e-4)


def test_square_gpt2_is_not_shape_guessed():
    """With n_inner == n_embd a shape-based guess cannot tell orientation; the adapter must still be right."""
    from tests.conftest import tiny_gpt2
    model = tiny_gpt2(square=True)
    d, m = weight_shape(model, 0)
    assert d == m
    delta = torch.zeros(d, m)
    delta[0, 1] = 1.0                                    # maps key coordinate 1 to value coordinate 0
    w0 = model.transformer.h[0].mlp.c_proj.weight.detach().clone()
    add_delta(model, 0, delta)
    diff = model.transformer.h[0].mlp.c_proj.weight.detach() - w0
    assert diff[1, 0] == 1.0 and diff[0, 1] == 0.0       # Conv1D stores [in, out]


def test_applied_restores_exactly(tiny_model):
    d, m = weight_shape(tiny_model, 0)
    before = read_weight(tiny_model, 0)
    with applied(tiny_model, {0: torch.randn(d, m)}):
        assert not torch.equal(read_weight(tiny_model, 0), before)
    assert torch.equal(read_weight(tiny_model, 0), before)
    apply_deltas(tiny_model, {0: torch.ones(d, m)})
    apply_deltas(tiny_model, {0: torch.ones(d, m)}, sign=-1)
    torch.testing.assert_close(read_weight(tiny_model, 0), before)


def test_bad_deltas_are_rejected(tiny_model):
    d, m = weight_shape(tiny_model, 0)
    with pytest.raises(ValueError, match="expected"):
        add_delta(tiny_model, 0, torch.zeros(m + 1, d))
    bad = torch.zeros(d, m)
    bad[0, 0] = float("nan")
    with pytest.raises(FloatingPointError, match="layer 0"):
        add_delta(tiny_model, 0, bad)
    with pytest.raises(IndexError, match="out of range"):
        add_delta(tiny_model, 5, torch.zeros(d, m))


def test_unknown_architecture_lists_supported():
    from transformers import BertConfig
    with pytest.raises(UnsupportedArchitecture, match="gpt2, llama"):
        adapter_for(BertConfig())


def test_declared_orientation_is_checked_against_module_class(monkeypatch):
    from dataclasses import replace
    from tests.conftest import tiny_gpt2
    model = tiny_gpt2()
    monkeypatch.setitem(ADAPTERS, "gpt2", replace(ADAPTERS["gpt2"], stored_in_out=False))
    with pytest.raises(TypeError, match="Conv1D"):
        read_weight(model, 0)


def test_load_model_from_local_dir(tmp_path):
    from tokenizers import ByteLevelBPETokenizer
    from transformers import PreTrainedTokenizerFast
    from deltaedit.models import load_model
    from tests.conftest import tiny_llama
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(["a small world of facts"] * 10, vocab_size=300, special_tokens=["<|endoftext|>"])
    tok = PreTrainedTokenizerFast(tokenizer_object=bpe._tokenizer, eos_token="<|endoftext|>")
    m = tiny_llama()
    m.save_pretrained(tmp_path)
    tok.save_pretrained(tmp_path)
    model, tok2 = load_model(tmp_path)
    assert adapter_for(model).model_type == "llama"
    assert tok2.padding_side == "right" and tok2.pad_token == "<|endoftext|>"
    assert "token_type_ids" not in tok2("a small world")
    torch.testing.assert_close(read_weight(model, 1), read_weight(m, 1))
