"""DeltaEdit's trigger and influence projector on scripted inputs, and the noise diagnostics by hand."""
import math

import pytest
import torch

from deltaedit.diagnostics import mean_k_beta, noise_E, noise_per_edit
from deltaedit.hparams import HParamsError
from deltaedit.methods.deltaedit import DeltaEditHParams, influence_basis, trigger_step


def run_rule(xs, **kw):
    hp = DeltaEditHParams.from_dict({"layers": [0], **kw})
    stats, fired = {}, []
    for e, x in enumerate(xs, start=1):
        fired.append(trigger_step(x, e, stats, hp))
    return fired, stats


def test_paper_rule_worked_by_hand():
    """Algorithm 1 with δ = 0.5, η = 1, worked out on paper (m, v after each edit; * = fires, no update):
    e1 x=0   m=0     v=0
    e2 x=4   m=2     v=.5·0 + .5·(4−2)² = 2
    e3 x=4   m=3     v=1 + .5·1² = 1.5
    e4 x=4   m=3.5   v=.75 + .5·.5² = .875
    e5 x=10  warm-up (the first 5 edits skip, line 4), although 10 > 3.5 + √.875: m=6.75, v=5.71875
    e6 x=100 100 > 6.75 + √5.71875 = 9.14   *
    e7 x=8   8 < 9.14: m=7.375, v=2.859375 + .5·.625² = 3.0546875
    e8 x=9.2 9.2 > 7.375 + √3.0546875 = 9.123 *"""
    fired, stats = run_rule([0, 4, 4, 4, 10, 100, 8, 9.2], ema=0.5, eta=1.0)
    assert fired == [False] * 5 + [True, False, True]
    assert stats == pytest.approx({"m": 7.375, "v": 3.0546875})
    early, _ = run_rule([0, 4, 4, 4, 10], ema=0.5, eta=1.0, warmup=4)
    assert early == [False] * 4 + [True]                 # the boundary: with 4 warm-up edits, edit 5 fires


def test_code_rule_worked_by_hand():
    """The released code's rule (docs/methods.md#deltaedit) with δ = 0.5, η = 1 and 3 warm-up edits instead of 20:
    e1 x=0   Δ_hist k = 0: nothing recorded
    e2 x=2   first observation: m=2, v=0
    e3 x=4   warm-up: m=3, v=.5·(4−3)² = .5
    e4 x=3   |3−3| = 0 ≤ √.5: m=3, v=.25
    e5 x=1   |1−3| = 2 > .5: fires below the mean (two-sided) *
    e6 x=3.4 .4 ≤ .5: m=3.2, v=.125 + .5·.2² = .145
    e7 x=3.6 .4 > √.145 = .381 *"""
    fired, stats = run_rule([0, 2, 4, 3, 1, 3.4, 3.6], trigger="code", ema=0.5, eta=1.0, warmup=3)
    assert fired == [False, False, False, False, True, False, True]
    assert stats == pytest.approx({"m": 3.2, "v": 0.145})


def test_statistics_that_track_every_edit_stop_firing_on_a_level_noise():
    """This project's `stats_update: all` against Algorithm 1's quiet update, δ = 0.5, η = 1, warm-up 1:
    e1 x=2   warm-up: m=1, v=.5·(2−1)² = .5
    e2 x=4   4 > 1 + √.5 = 1.71 *   quiet: m, v kept | all: m=2.5, v=.25 + .5·1.5² = 1.375
    e3 x=4   quiet: 4 > 1.71 *      | all: 4 > 2.5 + √1.375 = 3.67 *, m=3.25, v=.6875 + .5·.75² = .96875
    e4 x=4   quiet: 4 > 1.71 *      | all: 4 < 3.25 + √.96875 = 4.23: m=3.625, v=.484375 + .5·.375²"""
    quiet, q = run_rule([2, 4, 4, 4], ema=0.5, eta=1.0, warmup=1)
    tracked, t = run_rule([2, 4, 4, 4], ema=0.5, eta=1.0, warmup=1, stats_update="all")
    assert quiet == [False, True, True, True] and q == pytest.approx({"m": 1.0, "v": 0.5})
    assert tracked == [False, True, True, False]
    assert t == pytest.approx({"m": 3.625, "v": 0.484375 + 0.5 * 0.375 ** 2})
    with pytest.raises(HParamsError, match="stats_update"):
        DeltaEditHParams.from_dict({"layers": [0], "stats_update": "sometimes"})


def test_paper_rule_is_one_sided():
    fired, _ = run_rule([0, 5, 5, 5, 5, 5, 5, 0.0], ema=0.5, eta=0.5)
    assert fired[-1] is False                                      # a drop never triggers


def test_code_rule_two_sided_warmup_and_init():
    xs = [0.0] + [2.0, 2.2] * 10 + [2.1, 9.0, 0.1]
    fired, stats = run_rule(xs, trigger="code", ema=0.9, eta=3.0)
    assert not any(fired[:21])                                      # warm-up 20 edits
    assert fired[-2] is True and fired[-1] is True                  # far above and far below both trigger
    assert fired[-3] is False
    _, s1 = run_rule([0.0, 3.0], trigger="code")
    assert s1 == {"m": 3.0, "v": 0.0}                               # first non-zero noise initialises m
    fired_w, _ = run_rule(xs, trigger="code", warmup=5, ema=0.9, eta=3.0)
    assert fired_w[-2] is True


def test_influence_basis_orthogonality_and_cap():
    torch.manual_seed(0)
    d, m = 8, 20
    dhist = torch.randn(d, 3) @ torch.randn(3, m)                  # rank 3 history
    hp = DeltaEditHParams.from_dict({"layers": [0]})
    u = influence_basis(dhist, None, hp)
    assert u.shape == (d, 3)                                        # the non-zero eigenvalues only
    alpha = torch.randn(d)
    projected = alpha - u @ (u.T @ alpha)
    assert (dhist.T @ projected).abs().max() < 1e-4                 # orthogonal to col(Δ_hist)
    full = torch.randn(d, m)                                        # rank d: capped at ¾ d
    assert influence_basis(full, None, hp).shape[1] == 6
    hp_code = DeltaEditHParams.from_dict({"layers": [0], "trigger": "code", "eig_threshold": 1e-9})
    assert influence_basis(full, torch.randn(d), hp_code).shape[1] == 2   # code: at most d/4
    # the kept directions are the largest eigenvalues
    evals = torch.linalg.eigvalsh((full @ full.T).double())
    u6 = influence_basis(full, None, hp).double()
    torch.testing.assert_close(torch.linalg.eigvalsh(u6.T @ (full @ full.T).double() @ u6), evals[-6:],
                               atol=1e-3, rtol=1e-4)


def test_bad_deltaedit_hparams():
    with pytest.raises(HParamsError, match="trigger"):
        DeltaEditHParams.from_dict({"layers": [0], "trigger": "both"})
    with pytest.raises(HParamsError, match="ema"):
        DeltaEditHParams.from_dict({"layers": [0], "ema": 1.5})


def test_noise_and_k_beta_by_hand_three_edits():
    """d = 1, m = 2: Δ_e = α_e β_eᵀ, hand-expanded eq. 12-13 and eq. 15."""
    k = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])           # k_1, k_2, k_3 as columns
    b = torch.tensor([[1.0, 0.5, 0.0], [0.0, 1.0, 0.5]])            # β_1, β_2, β_3
    a = torch.tensor([[2.0, -1.0, 3.0]])                            # α_1, α_2, α_3
    deltas = [a[:, e:e + 1] @ b[:, e:e + 1].T for e in range(3)]
    total = sum(deltas)                                             # [[2, 2.5... ]]
    own = torch.cat([deltas[e] @ k[:, e:e + 1] for e in range(3)], 1)
    # by hand: total = [[2 - 0.5 + 0, 0 - 1 + 1.5]] = [[1.5, 0.5]]
    torch.testing.assert_close(total, torch.tensor([[1.5, 0.5]]))
    # (total k_e)^2 = 1.5^2, 0.5^2, 2^2 ; (Δ_e k_e)^2 = 2^2, (-1*1)^2 = 1, (3*0.5)^2 = 2.25
    expect = torch.tensor([2.25 - 4.0, 0.25 - 1.0, 4.0 - 2.25], dtype=torch.float64)
    torch.testing.assert_close(noise_per_edit(total, k, own), expect)
    assert noise_E(total, k, own) == pytest.approx(expect.mean().item())
    # k_i^T β_j: A = [[1, .5, 0], [0, 1, .5], [1, 1.5, .5]]; off-diagonal sum = .5+0+0+.5+1+1.5 = 3.5
    assert mean_k_beta(k, b) == pytest.approx(3.5 / 6)
    assert math.isnan(mean_k_beta(k[:, :1], b[:, :1]))
