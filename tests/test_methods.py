"""Every method on tiny random models: untouched model, shapes, effect, and method-specific maths."""
import random

import pytest
import torch

import deltaedit
from deltaedit.core.keys import compute_keys
from deltaedit.core.templates import context_templates
from deltaedit.hooks import Capture
from deltaedit.methods import EditContext, get_method, list_methods
from deltaedit.methods.deltaedit import influence_basis
from deltaedit.models import adapter_for, applied, apply_deltas, bias_key, get_module, read_weight, weight_shape
from deltaedit.eval.scoring import target_probability
from deltaedit.stats import second_moments
from deltaedit.types import EditRequest
from tests.conftest import CUDA, MODEL_BUILDERS
from tests.test_metrics import TOK, WORDS

HP = {
    "ft": {"layers": [1], "lr": 0.05, "num_steps": 10, "norm_constraint": None},
    "rome": {"layers": [0], "v_num_grad_steps": 15, "clamp_norm_factor": 4.0},
    "memit": {"layers": [0, 1], "v_num_grad_steps": 15, "clamp_norm_factor": 4.0, "mom2_update_weight": 10.0},
    "prune": {"layers": [0, 1], "v_num_grad_steps": 15, "clamp_norm_factor": 4.0, "mom2_update_weight": 10.0},
    "rect": {"layers": [0, 1], "v_num_grad_steps": 15, "clamp_norm_factor": 4.0, "mom2_update_weight": 10.0,
             "rect_keep_percent": 60.0},
    "alphaedit": {"layers": [0, 1], "v_num_grad_steps": 15, "clamp_norm_factor": 4.0, "L2": 0.1,
                  "nullspace_threshold": 0.5, "nullspace_relative": True},
    "deltaedit": {"layers": [0, 1], "v_num_grad_steps": 15, "clamp_norm_factor": 4.0, "L2": 0.1,
                  "nullspace_threshold": 0.5, "nullspace_relative": True, "warmup": 1, "eta": 0.0},
    "nas": {"layers": [0, 1], "v_num_grad_steps": 15, "clamp_norm_factor": 4.0, "L2": 0.1,
            "nullspace_threshold": 0.5, "nullspace_relative": True, "anchor_samples": 3, "norm_anchor": "paper"},
    "encore": {"layers": [0, 1], "v_num_grad_steps": 15, "clamp_norm_factor": 4.0, "mom2_update_weight": 10.0,
               "update_norm_lambda": 0.1, "mpes_patience": 1},
}
REQS = [EditRequest(i, s, "{} is", t, "x") for i, (s, t) in
        enumerate([("A B", "y"), ("C", "z"), ("B A", "Q"), ("A C", "y z"), ("C B", "?")])]


def corpus(n=60, seed=0):
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS[1:]) for _ in range(rng.randint(3, 9))) for _ in range(n)]


def context(model, layers, spec=((4, 2),)):
    stats, _ = second_moments(model, TOK, corpus(), layers)
    return EditContext(templates=context_templates(model, TOK, ["A", "C"], spec), stats=stats)


def test_registry():
    assert set(list_methods()) == {"ft", "rome", "memit", "prune", "rect", "alphaedit", "deltaedit", "nas", "encore"}
    with pytest.raises(KeyError, match="did you mean alphaedit"):
        get_method("alphaedt")


@pytest.mark.parametrize("arch", sorted(MODEL_BUILDERS))
@pytest.mark.parametrize("name", sorted(HP))
def test_method_leaves_model_untouched_and_deltas_raise_target(arch, name):
    model = MODEL_BUILDERS[arch]()
    method = get_method(name)
    hp = method.hparams_cls.from_dict(HP[name])
    ctx = context(model, [0, 1])
    state = method.init_state(model, hp, ctx)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    req = REQS[0]
    p0 = target_probability(model, TOK, req)
    deltas, trace = method.compute_deltas(model, TOK, [req], hp, state, ctx)
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), f"{name} changed {k}"
    assert all(p.grad is None for p in model.parameters())
    has_bias = name == "ft" and arch.startswith("gpt2")   # FT trains every parameter of the module (docs/methods.md#ft)
    assert set(deltas) == set(hp.layers) | ({bias_key(hp.layers[0])} if has_bias else set())
    for l, d in deltas.items():
        shape = weight_shape(model, l) if isinstance(l, int) else (weight_shape(model, hp.layers[0])[0],)
        assert d.shape == shape and torch.isfinite(d).all()
    with applied(model, deltas):
        p1 = target_probability(model, TOK, req)
    assert p1 > p0, f"{name}: target probability {p0:.4f} -> {p1:.4f}"
    total = method.finalize(model, deltas, hp, state)
    assert set(total) == set(deltas)


@pytest.mark.parametrize("arch", ["gpt2", "llama"])
@pytest.mark.parametrize("name", sorted(HP))
@pytest.mark.parametrize("device", [CUDA])
def test_gpu_edits_equal_cpu_edits(arch, name, device):
    """Three sequential edits on the GPU (fp32) give the CPU's weights: no step of a method depends on the
    device beyond rounding."""
    method = get_method(name)
    hp = method.hparams_cls.from_dict(HP[name])
    got = {}
    for dev in ("cpu", device):
        model = MODEL_BUILDERS[arch]().to(dev)
        ctx = context(model, [0, 1])
        state = method.init_state(model, hp, ctx)
        for r in REQS[:3]:
            deltas, _ = method.compute_deltas(model, TOK, [r], hp, state, ctx)
            apply_deltas(model, deltas)
        got[dev] = {l: read_weight(model, l).cpu() for l in hp.layers}
    w0 = MODEL_BUILDERS[arch]()
    for l in hp.layers:
        scale = float((got["cpu"][l] - read_weight(w0, l)).abs().max())
        assert scale > 0
        torch.testing.assert_close(got[device][l], got["cpu"][l], atol=1e-3 * scale, rtol=0)


def test_rome_maps_key_to_target_value_exactly():
    model = MODEL_BUILDERS["gpt2"]()
    m = get_method("rome")
    hp = m.hparams_cls.from_dict(HP["rome"])
    ctx = context(model, [0])
    deltas, trace = m.compute_deltas(model, TOK, [REQS[1]], hp, m.init_state(model, hp, ctx), ctx)
    site = adapter_for(model).mlp_name(0)
    k_plain = compute_keys(model, TOK, REQS[1], [0], ["{}"])[0]
    # the value ROME aimed for: alpha + current output
    with Capture(model, [site], "output") as cap:
        model(input_ids=torch.tensor([TOK(REQS[1].filled)["input_ids"]]))
    out0 = cap[site][0, 0]
    with applied(model, deltas), Capture(model, [site], "output") as cap2:
        model(input_ids=torch.tensor([TOK(REQS[1].filled)["input_ids"]]))
    torch.testing.assert_close(cap2[site][0, 0], out0 + trace.alphas[0][:, 0], atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(deltas[0] @ k_plain, trace.alphas[0][:, 0], atol=1e-4, rtol=1e-4)


def test_alphaedit_state_accumulates_projected_keys():
    model = MODEL_BUILDERS["llama"]()
    m = get_method("alphaedit")
    hp = m.hparams_cls.from_dict(HP["alphaedit"])
    ctx = context(model, [0, 1])
    state = m.init_state(model, hp, ctx)
    _, trace = m.compute_deltas(model, TOK, [REQS[0]], hp, state, ctx)
    for l in (0, 1):
        u = state.tensors[f"basis.{l}"].double()
        ku = u.T @ trace.keys[l].double()
        torch.testing.assert_close(state.tensors[f"cp_proj.{l}"], ku @ ku.T)


def test_rect_and_deltaedit_specifics():
    model = MODEL_BUILDERS["gpt2"]()
    ctx = context(model, [0, 1])
    m = get_method("rect")
    hp = m.hparams_cls.from_dict(HP["rect"])
    deltas, _ = m.compute_deltas(model, TOK, [REQS[0]], hp, m.init_state(model, hp, ctx), ctx)
    for d in deltas.values():
        assert (d != 0).float().mean() == pytest.approx(0.6, abs=0.01)
    de = get_method("deltaedit")
    hp = de.hparams_cls.from_dict(HP["deltaedit"])
    state = de.init_state(model, hp, ctx)
    fired, total_z = [], torch.zeros_like(state.tensors["dhist"])
    for r in REQS[:4]:
        dhist = state.tensors["dhist"].clone()
        d, trace = de.compute_deltas(model, TOK, [r], hp, state, ctx)
        apply_deltas(model, d)
        fired.append(trace.info["removed_rank"])
        if trace.info["removed_rank"]:
            # δ = z* − h (twice the first layer's residual, spread over 2 layers) was optimised in the
            # complement of the removed directions Û of Δ_hist Δ_histᵀ (eqs. 18–21)
            u = influence_basis(dhist, None, hp)
            assert u.shape[1] == trace.info["removed_rank"]
            alpha = 2 * trace.alphas[0][:, 0]
            assert float((u.T @ alpha).norm()) < 1e-3 * float(alpha.norm())
        total_z += d[1]
    assert state.scalars["count"] == 4 and any(fired)
    torch.testing.assert_close(state.tensors["dhist"], total_z)      # Δ_hist is the sum of L*'s deltas


def test_public_edit_api_runs_sequentially():
    model = MODEL_BUILDERS["gpt2"]()
    ctx = context(model, [0, 1])
    before = {k: v.clone() for k, v in model.state_dict().items()}
    total, state = deltaedit.edit(model, TOK, REQS[:2], "alphaedit", HP["alphaedit"], ctx, apply=False)
    for k, v in model.state_dict().items():
        torch.testing.assert_close(v, before[k])
    assert float(state.tensors["cp_proj.0"].trace()) > 0 and set(total) == {0, 1}


def test_method_modules_must_exist_and_register_something(tmp_path):
    from deltaedit.methods import load_method_modules
    with pytest.raises(FileNotFoundError, match="nosuch.py"):
        load_method_modules([tmp_path / "nosuch.py"])
    empty = tmp_path / "empty.py"
    empty.write_text("x = 1\n")
    with pytest.raises(ValueError, match="registered no method"):
        load_method_modules([empty])


@pytest.mark.parametrize("name", ["gpt2", "llama"])
@pytest.mark.parametrize("n", [1, 3])
def test_ft_with_cached_lower_blocks_equals_the_plain_loop(name, n, monkeypatch):
    """FT caches the blocks below its layer (its padded batch is the same at every step); that changes
    nothing but the time."""
    import contextlib

    import deltaedit.methods.ft as ft
    model = MODEL_BUILDERS[name]()
    method = get_method("ft")
    hp = method.hparams_cls.from_dict(HP["ft"], "test")
    fast, _ = method.compute_deltas(model, TOK, REQS[:n], hp, method.init_state(model, hp, None), None)
    monkeypatch.setattr(ft, "FrozenPrefix", lambda *a: contextlib.nullcontext())
    slow, _ = method.compute_deltas(model, TOK, REQS[:n], hp, method.init_state(model, hp, None), None)
    torch.testing.assert_close(fast[1], slow[1], atol=1e-6, rtol=1e-5)
    assert fast[1].abs().sum() > 0


def test_ft_trains_and_clamps_the_bias_too():
    """The reference FT selects every parameter whose name contains the module's name: GPT-2's c_proj
    weight and bias, each entry within ε of its value at the start of the edit; Llama's down_proj has none."""
    model = MODEL_BUILDERS["gpt2"]()
    method = get_method("ft")
    eps = 1e-3
    hp = method.hparams_cls.from_dict({**HP["ft"], "norm_constraint": eps}, "test")
    deltas, _ = method.compute_deltas(model, TOK, REQS[:1], hp, method.init_state(model, hp, None), None)
    db = deltas[bias_key(1)]
    assert db.shape == get_module(model, adapter_for(model).key_site(1)).bias.shape
    assert db.abs().max() > 0 and db.abs().max() <= eps * (1 + 1e-5)
    assert deltas[1].abs().max() <= eps * (1 + 1e-5)
    b0 = get_module(model, adapter_for(model).key_site(1)).bias.detach().clone()
    with applied(model, deltas):
        torch.testing.assert_close(get_module(model, adapter_for(model).key_site(1)).bias, b0 + db)
    assert torch.equal(get_module(model, adapter_for(model).key_site(1)).bias, b0)   # restored exactly
    llama = MODEL_BUILDERS["llama"]()
    assert set(method.compute_deltas(llama, TOK, REQS[:1], hp, method.init_state(llama, hp, None), None)[0]) == {1}


def test_rome_uses_its_own_templates_and_a_flat_key_mean(monkeypatch):
    """ROME's 21 templates ("{}" + 10 x 5 + 10 x 10 tokens); u is C0⁻¹ k̄ with k̄ the flat mean over all
    of them, and the value optimisation sees the same prompts."""
    import deltaedit.methods.rome as rome
    from deltaedit.core.keys import template_keys

    model = MODEL_BUILDERS["gpt2"]()
    m = get_method("rome")
    assert m.templates == ((5, 10), (10, 10))
    spec = ((3, 4), (5, 4))                                  # a small ROME-shaped set: 1 + 4 + 4 templates
    ctx = context(model, [0], spec)
    assert len(ctx.templates) == 9 and ctx.templates[0] == "{}"
    seen = []
    monkeypatch.setattr(rome, "optimise_value", lambda *a, **k: seen.append(a[4]) or real(*a, **k))
    real = __import__("deltaedit.core.values", fromlist=["optimise_value"]).optimise_value
    hp = m.hparams_cls.from_dict({**HP["rome"], "mom2_adjustment": False})
    deltas, trace = m.compute_deltas(model, TOK, [REQS[1]], hp, m.init_state(model, hp, ctx), ctx)
    assert seen == [ctx.templates]
    keys, _ = template_keys(model, TOK, REQS[1], [0], ctx.templates)
    k_bar = keys[0].mean(0)                                   # flat: each of the 9 templates weighs 1/9
    u = k_bar / k_bar.norm()
    torch.testing.assert_close(trace.betas[0][:, 0], u / torch.dot(u, keys[0][0]), atol=1e-5, rtol=1e-4)
    two_level = 0.5 * (keys[0][0] + keys[0][1:].mean(0))
    assert not torch.allclose(k_bar, two_level, atol=1e-4)     # the MEMIT family's average is another key


def test_the_readmes_example_method_is_memit_with_the_identity_for_c0(monkeypatch):
    """examples/plain_ridge.py (README "Extending") registers from its file and, given C0 = I, makes exactly
    MEMIT's edit: the same value step and spread, the same solver with the identity in C0's place."""
    from pathlib import Path

    from deltaedit.methods import base, load_method_modules
    monkeypatch.setattr(base, "METHODS", dict(base.METHODS))                # the registry as it was, after
    assert load_method_modules([str(Path(__file__).parents[1] / "examples/plain_ridge.py")]) == ["plainridge"]
    model = MODEL_BUILDERS["gpt2"]()
    ridge, memit = get_method("plainridge"), get_method("memit")
    hp = memit.hparams_cls.from_dict(HP["memit"])
    assert ridge.stats_layers(hp) == []
    ctx = context(model, hp.layers)
    deltas, _ = ridge.compute_deltas(model, TOK, [REQS[0]], hp, None, ctx)
    eye = EditContext(ctx.templates, {l: torch.eye(c.shape[0]) for l, c in ctx.stats.items()})
    want, _ = memit.compute_deltas(model, TOK, [REQS[0]], hp, None, eye)
    for l in hp.layers:
        torch.testing.assert_close(deltas[l], want[l])
