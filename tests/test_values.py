"""Target-value optimisation (docs/methods.md#the-target-value-z) on tiny random models."""
import pytest
import torch

from deltaedit.core.values import ValueConfig, build_prompts, optimise_value, subject_last_index
from deltaedit.models import adapter_for
from deltaedit.types import EditRequest
from tests.conftest import CUDA, MODEL_BUILDERS
from tests.test_metrics import ID, TOK

REQ = EditRequest(0, "A B", "Q {} is", target_new="y z", target_true="x")


def test_subject_last_index_and_prompt_layout():
    assert subject_last_index(TOK, "{}", REQ) == 2                 # "Q A B" -> B at index 2
    assert subject_last_index(TOK, "C C ? {}", REQ) == 5
    rows, lookups, plens, tgt = build_prompts(TOK, REQ, ["{}", "C ? {}"], "{} is")
    assert tgt == [ID["y"], ID["z"]]
    assert rows[0] == [ID["Q"], ID["A"], ID["B"], ID["is"], ID["y"]]  # prompt + target[:-1]
    assert plens[:2] == [4, 6] and lookups == [2, 4, 1]
    assert rows[2] == [ID["A"], ID["B"], ID["is"]]                    # the KL prompt


@pytest.mark.parametrize("name", sorted(MODEL_BUILDERS))
def test_optimisation_raises_target_and_leaves_model_untouched(name):
    model = MODEL_BUILDERS[name]()
    before = {k: v.detach().clone() for k, v in model.state_dict().items()}
    cfg = ValueConfig(v_num_grad_steps=30, v_lr=0.5, clamp_norm_factor=4.0, kl_factor=0.0625)
    res = optimise_value(model, TOK, REQ, adapter_for(model).block(0), ["{}", "C ? {}"], cfg)
    assert res.prob_after > res.prob_before
    assert res.delta.norm() <= cfg.clamp_norm_factor * res.h_init.norm() * (1 + 1e-5)
    torch.testing.assert_close(res.target, res.h_init + res.delta)
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k
    assert all(p.grad is None for p in model.parameters())


def test_clamp_and_projection_are_applied_after_each_step():
    model = MODEL_BUILDERS["gpt2"]()
    site = adapter_for(model).block(1)
    tight = optimise_value(model, TOK, REQ, site, ["{}"], ValueConfig(v_num_grad_steps=10, clamp_norm_factor=0.01))
    assert tight.delta.norm() <= 0.01 * tight.h_init.norm() * (1 + 1e-5)
    mask = torch.zeros(16)
    mask[:8] = 1
    proj = optimise_value(model, TOK, REQ, site, ["{}"], ValueConfig(v_num_grad_steps=10),
                          project=lambda d: d * mask)
    assert torch.all(proj.delta[8:] == 0) and proj.delta[:8].abs().sum() > 0


def test_non_finite_loss_names_the_case():
    model = MODEL_BUILDERS["llama"]()
    with torch.no_grad():
        model.lm_head.weight[0, 0] = float("nan")
    with pytest.raises(FloatingPointError, match="case 0"):
        optimise_value(model, TOK, REQ, adapter_for(model).block(0), ["{}"], ValueConfig(v_num_grad_steps=3))
    assert not [n for n, m in model.named_modules() if "forward" in vars(m)]   # cached forwards are gone


def test_an_error_while_entering_leaves_no_cached_forward(monkeypatch):
    import deltaedit.core.suffix as suffix
    model = MODEL_BUILDERS["gpt2"]()

    def fail(self, delta):
        raise RuntimeError("boom")
    monkeypatch.setattr(suffix.SuffixForward, "_hidden", fail)
    with pytest.raises(RuntimeError, match="boom"):
        optimise_value(model, TOK, REQ, adapter_for(model).block(1), ["{}"], ValueConfig(v_num_grad_steps=3))
    assert not [n for n, m in model.named_modules() if "forward" in vars(m)]


@pytest.mark.parametrize("name", ["gpt2", "llama"])
@pytest.mark.parametrize("where", ["block", "mlp"])
@pytest.mark.parametrize("device, dtype", [("cpu", "float32"), *(pytest.param("cuda", d, marks=CUDA.marks)
                                                                 for d in ("float32", "bfloat16"))])
def test_suffix_forward_equals_the_full_forward(name, where, device, dtype, caplog):
    """Logits and gradient of the suffix-only pass equal a plain forward of whole rows with δ added."""
    from deltaedit.core.suffix import SuffixForward, frozen_blocks
    from deltaedit.eval.scoring import pad_right
    from deltaedit.hooks import Capture, EditOutput
    dtype = getattr(torch, dtype)
    model = MODEL_BUILDERS[name]().to(device=device, dtype=dtype)
    ad = adapter_for(model)
    site = ad.block(1) if where == "block" else ad.mlp_name(1)
    assert frozen_blocks(model, site) == ([ad.block(0), ad.block(1)] if where == "block" else [ad.block(0)])
    rows = [[1, 2, 3, 4, 5, 6, 7], [8, 9, 10], [11, 12, 13, 14, 15], [3, 4]]
    add_at, read_rows, read_pos = [4, 0, 2, 1], [0, 0, 1, 2, 3], [5, 6, 2, 4, 1]
    ids, mask = pad_right(rows, 0, torch.device(device))
    torch.manual_seed(1)
    delta = torch.randn(16, device=device, dtype=dtype, requires_grad=True)

    def plain(h):
        h = h.clone()
        h[torch.arange(4), torch.tensor(add_at)] += delta
        return h
    with EditOutput(model, site, plain):
        want = model(input_ids=ids, attention_mask=mask).logits[read_rows, read_pos]
    (g_want,) = torch.autograd.grad(want.float().square().sum(), [delta])
    with torch.no_grad(), Capture(model, [site], "output") as cap:
        model(input_ids=ids, attention_mask=mask)
    with caplog.at_level("WARNING"), SuffixForward(model, ids, mask, site, add_at, read_rows, read_pos) as fwd:
        assert fwd.use_cache and fwd.step_ids.shape[1] == 7 - 4   # only tokens from the add point on
        got = fwd(delta)
    assert "differ" not in caplog.text
    torch.testing.assert_close(fwd.h_init, cap[site][torch.arange(4), torch.tensor(add_at)].float())
    tol = dict(atol=1e-5, rtol=1e-4) if dtype == torch.float32 else dict(atol=5e-2, rtol=5e-2)
    torch.testing.assert_close(got.float(), want.float(), **tol)
    (g_got,) = torch.autograd.grad(got.float().square().sum(), [delta])
    torch.testing.assert_close(g_got.float(), g_want.float(), **(tol if dtype == torch.float32 else dict(atol=0.2, rtol=0.1)))
    assert all(p.grad is None for p in model.parameters())


@pytest.mark.parametrize("name", ["gpt2", "llama"])
def test_suffix_only_and_whole_row_optimisations_agree(name, monkeypatch):
    """The optimisation's speed-ups (suffix-only passes, cached lower blocks) change nothing but the time."""
    import functools

    import deltaedit.core.suffix as suffix
    import deltaedit.core.values as values
    model = MODEL_BUILDERS[name]()
    site = adapter_for(model).block(1)
    cfg = ValueConfig(v_num_grad_steps=8)
    fast = optimise_value(model, TOK, REQ, site, ["{}", "C ? {}"], cfg)
    monkeypatch.setattr(suffix, "frozen_blocks", lambda m, s: [])
    monkeypatch.setattr(values, "SuffixForward", functools.partial(suffix.SuffixForward, suffix_only=False))
    slow = optimise_value(model, TOK, REQ, site, ["{}", "C ? {}"], cfg)
    torch.testing.assert_close(fast.delta, slow.delta, atol=1e-5, rtol=1e-4)
    assert fast.steps == slow.steps and fast.prob_after == pytest.approx(slow.prob_after, rel=1e-4)


def test_a_model_the_suffix_pass_cannot_reproduce_falls_back_to_whole_rows(monkeypatch, caplog):
    import deltaedit.core.suffix as suffix
    model = MODEL_BUILDERS["gpt2"]()
    cfg = ValueConfig(v_num_grad_steps=6)
    want = optimise_value(model, TOK, REQ, adapter_for(model).block(1), ["{}", "C ? {}"], cfg)
    real = suffix.SuffixForward._hidden
    calls = []

    def broken(self, delta):                   # the first (checking) suffix pass comes out wrong
        out = real(self, delta)
        calls.append(self.use_cache)
        return out + 1.0 if len(calls) == 1 else out
    monkeypatch.setattr(suffix.SuffixForward, "_hidden", broken)
    with caplog.at_level("WARNING"):
        got = optimise_value(model, TOK, REQ, adapter_for(model).block(1), ["{}", "C ? {}"], cfg)
    assert "using whole rows" in caplog.text and calls[0] and not any(calls[1:])
    torch.testing.assert_close(got.delta, want.delta, atol=1e-5, rtol=1e-4)
