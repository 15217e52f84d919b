"""Target-value optimisation (ALGORITHMS.md §1.3) on tiny random models."""
import pytest
import torch

from deltaedit.core.values import ValueConfig, build_prompts, optimise_value, subject_last_index
from deltaedit.models import adapter_for
from deltaedit.types import EditRequest
from tests.conftest import MODEL_BUILDERS
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


@pytest.mark.parametrize("name", ["gpt2", "llama"])
@pytest.mark.parametrize("where", ["block", "mlp"])
def test_frozen_prefix_gives_the_same_result(name, where, monkeypatch):
    """Caching the blocks below the edit point changes nothing but the time."""
    import deltaedit.core.values as values
    model = MODEL_BUILDERS[name]()
    ad = adapter_for(model)
    site = ad.block(1) if where == "block" else ad.mlp_name(1)
    cfg = ValueConfig(v_num_grad_steps=8)
    assert values.frozen_blocks(model, site) == ([ad.block(0), ad.block(1)] if where == "block" else [ad.block(0)])
    fast = optimise_value(model, TOK, REQ, site, ["{}", "C ? {}"], cfg)
    monkeypatch.setattr(values, "frozen_blocks", lambda m, s: [])
    slow = optimise_value(model, TOK, REQ, site, ["{}", "C ? {}"], cfg)
    torch.testing.assert_close(fast.delta, slow.delta, atol=1e-6, rtol=1e-5)
    assert fast.prob_after == pytest.approx(slow.prob_after, rel=1e-5)
