"""NAS and ENCORE (beyond the paper, docs/methods.md#nas and #encore): their mathematics on cases worked by hand."""
import pytest
import torch

from deltaedit.core.anchor import anchored_target, trimmed_mean
from deltaedit.core.solvers import ridge_with_cov
from deltaedit.core.values import ValueConfig, _optimise
from deltaedit.hparams import HParamsError
from deltaedit.methods import EditContext, get_method
from deltaedit.types import EditRequest
from tests.test_metrics import TOK

H, V0 = torch.tensor([10.0, 0.0]), torch.tensor([1.0, 0.0])   # block output h at L*, and its MLP part v0


@pytest.mark.parametrize("rule", ["code", "paper"])
def test_a_v_star_is_rescaled_to_the_anchor_up_or_down(rule):
    # v* = v0 + δ = (3, 0), anchor 2: v* -> (2, 0), z* = (h - v0) + v* = (9, 0) + (2, 0)
    z, info = anchored_target(H, torch.tensor([2.0, 0.0]), V0, 2.0, rule)
    assert torch.allclose(z, torch.tensor([11.0, 0.0])) and info == {"v_star_norm": 3.0, "anchored": "scaled"}
    # v* = (0, 1), under the anchor: raised to (0, 2); z* = (9, 0) + (0, 2)
    z, _ = anchored_target(H, torch.tensor([-1.0, 1.0]), V0, 2.0, rule)
    assert torch.allclose(z, torch.tensor([9.0, 2.0]))


def test_a_v_star_over_twice_the_anchor_is_dropped_by_the_code_rule_and_scaled_by_the_papers():
    delta = torch.tensor([4.0, 0.0])                      # v* = (5, 0): over 2 x 2
    z, info = anchored_target(H, delta, V0, 2.0, "code")
    assert torch.equal(z, H) and info["anchored"] == "dropped"    # z* = h: the edit writes nothing
    z, info = anchored_target(H, delta, V0, 2.0, "paper")
    assert torch.allclose(z, torch.tensor([11.0, 0.0])) and info["anchored"] == "scaled"
    z, _ = anchored_target(H, torch.tensor([3.0, 0.0]), V0, 2.0, "code")   # exactly 2 x the anchor: kept, scaled
    assert torch.allclose(z, torch.tensor([11.0, 0.0]))


def test_the_anchor_is_the_mean_without_the_largest_five_percent():
    assert trimmed_mean([float(i) for i in range(1, 21)]) == 10.0       # 20 values: 20 dropped, mean of 1..19
    assert trimmed_mean([1.0, 2.0, 1000.0]) == pytest.approx(1003 / 3)  # floor(0.15) = 0 dropped


def _fake_forward(delta, flags):
    flags = iter(flags)

    def forward():
        nll = ((delta - 1) ** 2).sum().reshape(1) + 1.0     # never under the loss threshold
        return nll, torch.log_softmax(torch.zeros(4), -1), next(flags)
    return forward


@pytest.mark.parametrize("patience,steps", [(1, 2), (2, 4), (None, 5)])
def test_the_most_probable_early_stop_fires_at_the_patience_th_qualifying_step_and_not_before(patience, steps):
    # the target is every prompt's argmax before steps 3, 5, 6 and 7 (steps counted from 1)
    delta = torch.zeros(3, requires_grad=True)
    cfg = ValueConfig(v_num_grad_steps=6, mpes_patience=patience)
    res = _optimise(_fake_forward(delta, [False, False, True, False, True, True, True]), delta,
                    torch.optim.Adam([delta], lr=0.1), torch.ones(3), cfg, EditRequest(0, "s", "{} is", "t"), None)
    assert res.steps == steps        # gradient steps taken before the stop


def test_the_penalised_solve_is_the_minimiser_of_its_objective():
    # Δ minimises λ tr(Δ C0 Δᵀ) + μ ‖Δ‖²_F + ‖Δ Kp‖² + ‖Δ K − R‖²: its gradient vanishes there
    g = torch.Generator().manual_seed(0)
    d, m, n, lam, mu = 3, 4, 2, 2.0, 0.5
    k, r, kp = torch.randn(m, n, generator=g), torch.randn(d, n, generator=g), torch.randn(m, 3, generator=g)
    a = torch.randn(m, 6, generator=g)
    c0 = a @ a.T / 6
    delta, beta = ridge_with_cov(r, k, c0, lam, mu * torch.eye(m) + kp @ kp.T)
    dd = delta.double()
    grad = dd @ (lam * c0.double() + mu * torch.eye(m, dtype=torch.float64) + kp.double() @ kp.double().T) \
        + (dd @ k.double() - r.double()) @ k.double().T
    assert grad.abs().max() < 1e-5 and torch.allclose(delta, r @ beta.T, atol=1e-6)
    # a larger μ shrinks the update; μ = 0 and no past keys is MEMIT's solve
    assert ridge_with_cov(r, k, c0, lam, 50 * torch.eye(m))[0].norm() < delta.norm()
    assert torch.allclose(ridge_with_cov(r, k, c0, lam, torch.zeros(m, m))[0], ridge_with_cov(r, k, c0, lam)[0])


def test_encore_keeps_the_past_keys_and_nas_its_anchor_in_the_state(tiny_model):
    from tests.test_methods import HP, REQS, context

    for name in ("encore", "nas"):
        m = get_method(name)
        hp = m.hparams_cls.from_dict(HP[name])
        ctx = context(tiny_model, [0, 1])
        ctx = EditContext(ctx.templates, ctx.stats, requests=REQS)
        state = m.init_state(tiny_model, hp, ctx)
        _, trace = m.compute_deltas(tiny_model, TOK, REQS[:1], hp, state, ctx)
        assert len(trace.info["v_star_norm"]) == 1
        if name == "encore":
            k = trace.keys[1].double()
            assert torch.allclose(state.tensors["cp.1"], k @ k.T)
        else:
            assert state.scalars["norm_anchor"] > 0 and trace.info["anchored"] == ["scaled"]


@pytest.mark.parametrize("name,bad", [("nas", {"norm_anchor": "sometimes"}), ("nas", {"anchor_samples": 0}),
                                      ("encore", {"mpes_patience": 0}), ("encore", {"update_norm_lambda": -1.0})])
def test_bad_settings_name_the_key(name, bad):
    from tests.test_methods import HP

    with pytest.raises(HParamsError, match=next(iter(bad))):
        get_method(name).hparams_cls.from_dict({**HP[name], **bad}, "test")
