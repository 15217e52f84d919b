"""Memory estimates and GPU placement from the published configs' sizes (no weights), and bf16 weights with
the edited layers kept in fp32 on the tiny models."""
import pytest
import torch

from deltaedit.workflow.placement import estimate, placement_plan, published_sizes


def test_published_sizes_give_the_published_parameter_counts():
    xl, llama = published_sizes("gpt2-xl"), published_sizes("llama3-8b")
    assert (xl.d, xl.m, xl.n_layers, xl.vocab, xl.context) == (1600, 6400, 48, 50257, 1024)
    assert xl.n_params == 1_557_611_200                       # GPT2-XL's 1.5B
    assert (llama.d, llama.m, llama.n_layers, llama.vocab, llama.context) == (4096, 14336, 32, 128256, 8192)
    assert llama.n_params == 8_030_261_248                    # Llama3-8B's 8.0B


def test_estimate_parts_by_hand():
    xl = published_sizes("gpt2-xl")
    e = estimate(xl, "edit_run", "float32", method="memit")
    assert e["gpu"]["weights"] == pytest.approx(1_557_611_200 * 4 / 2 ** 30)
    assert e["host"]["c0"] == pytest.approx(5 * 6400 ** 2 * 4 / 2 ** 30)          # C0 of five layers, fp32
    bf = estimate(xl, "edit_run", "bfloat16", method="memit")
    # bf16 weights, but the five edited 1600 x 6400 matrices stay fp32 (2 more bytes each)
    assert bf["gpu"]["weights"] == pytest.approx((1_557_611_200 * 2 + 5 * 1600 * 6400 * 2) / 2 ** 30)
    with pytest.raises(ValueError, match="dtype"):
        estimate(xl, "edit_run", "int8")
    with pytest.raises(ValueError, match="rule"):
        estimate(xl, "make_tables")


def test_placement_plans_for_24_and_80_gb_cards():
    xl, llama = published_sizes("gpt2-xl"), published_sizes("llama3-8b")
    for rule in ("key_stats", "edit_run", "score_run", "general_unedited"):
        assert placement_plan(xl, 24, rule).n_gpus == 1                           # GPT2-XL fits a 4090
        assert placement_plan(llama, 80, rule).n_gpus == 1                        # Llama3-8B fits an A100/H100
    assert placement_plan(llama, 24, "edit_run", "float32").n_gpus >= 2            # fp32 Llama does not fit a 4090
    plan = placement_plan(llama, 24, "edit_run", "bfloat16")
    assert plan.n_gpus == 2 and plan.device_map == "auto"                         # two RTX 4090 per Llama job
    e = estimate(llama, "edit_run", "bfloat16")["gpu"]
    assert e["weights"] / plan.n_gpus + e["total"] - e["weights"] <= plan.max_memory_gib   # the first card fits
    assert placement_plan(llama, 24, "score_run", "bfloat16").n_gpus == 1
    with pytest.raises(ValueError, match="beside the weights"):
        placement_plan(llama, 4, "edit_run", "bfloat16")


def test_bf16_weights_with_fp32_edited_layers_edit_like_fp32():
    """Stated tolerance: the same request edited on a bf16 copy (edited matrices kept in fp32) raises the
    target's probability as much as fp32 (within 10 % relative) and its deltas are within 10 % (relative
    Frobenius norm) of fp32's."""
    from deltaedit.methods import get_method
    from deltaedit.models import applied, keep_fp32
    from deltaedit.eval.scoring import target_probability
    from tests.conftest import MODEL_BUILDERS
    from tests.test_methods import HP, REQS, TOK, context

    m = get_method("alphaedit")
    hp = m.hparams_cls.from_dict(HP["alphaedit"])
    ref = MODEL_BUILDERS["gpt2"]()
    half = MODEL_BUILDERS["gpt2"]().to(torch.bfloat16)
    keep_fp32(half, hp.layers)
    assert half.transformer.h[0].mlp.c_proj.weight.dtype == torch.float32
    assert half.transformer.h[0].mlp.c_fc.weight.dtype == torch.bfloat16
    ctx = context(ref, hp.layers)                            # C0 and templates of the fp32 model for both
    p0 = target_probability(ref, TOK, REQS[0])
    d32, _ = m.compute_deltas(ref, TOK, [REQS[0]], hp, m.init_state(ref, hp, ctx), ctx)
    d16, _ = m.compute_deltas(half, TOK, [REQS[0]], hp, m.init_state(half, hp, ctx), ctx)
    for l in hp.layers:
        assert d16[l].dtype == torch.float32
        assert (d16[l] - d32[l]).norm() / d32[l].norm() < 0.1
    with applied(ref, d32):
        p32 = target_probability(ref, TOK, REQS[0])
    with applied(half, d16):
        p16 = target_probability(half, TOK, REQS[0])
    assert p32 > 1.5 * p0 and abs(p16 - p32) / p32 < 0.1
