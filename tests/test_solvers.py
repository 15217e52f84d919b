"""The closed forms on synthetic matrices: normal equations, null-space invariants, caps."""
import math

import pytest
import torch

from deltaedit.core.postprocess import prune_restrain, rect_sparsify
from deltaedit.core.solvers import SingularSystem, projected_ridge, rank_one, ridge_with_cov
from deltaedit.stats import null_space_basis

torch.manual_seed(0)
D, M = 6, 12


def projected_ridge_direct(resid, keys, projector, cp, l2):
    """The m×m form as the references write it, for tests: Xᵀ with X = (P(KKᵀ + Cp) + L2 I)⁻¹ P K Rᵀ."""
    k, p = keys.double(), projector.double()
    a = p @ (k @ k.T + cp.double()) + l2 * torch.eye(p.shape[0], dtype=torch.float64)
    return torch.linalg.solve(a, p @ k @ resid.double().T).T.float()


def rand(*s):
    return torch.randn(*s, dtype=torch.float64).float()


def test_rome_maps_key_to_target_and_is_rank_one():
    w, b, k, v = rand(D, M), rand(D), rand(M), rand(D)
    u = rand(M)
    delta = rank_one(w @ k + b, v, k, u)
    torch.testing.assert_close((w + delta) @ k + b, v, atol=1e-5, rtol=1e-5)
    assert torch.linalg.matrix_rank(delta.double(), rtol=1e-5) == 1
    x = rand(M)
    x = x - (x @ u) / (u @ u) * u                       # orthogonal to u: untouched
    torch.testing.assert_close(delta @ x, torch.zeros(D), atol=1e-5, rtol=0)
    with pytest.raises(SingularSystem):
        rank_one(w @ k, v, k, torch.zeros(M))


def test_memit_satisfies_normal_equations():
    k, r = rand(M, 3), rand(D, 3)
    x = rand(M, 40)
    c0 = x @ x.T / 40
    delta, beta = ridge_with_cov(r, k, c0, lam=2.0)
    lhs = delta.double() @ (2.0 * c0.double() + k.double() @ k.double().T)
    torch.testing.assert_close(lhs, r.double() @ k.double().T, atol=1e-8, rtol=1e-6)
    torch.testing.assert_close(delta, r @ beta.T, atol=1e-6, rtol=1e-5)


def _preserved(rank=7, n=200):
    basis = torch.linalg.qr(torch.randn(M, rank, dtype=torch.float64))[0]
    k0 = basis @ torch.randn(rank, n, dtype=torch.float64)
    return k0.float(), (k0 @ k0.T / n).float()


def test_null_space_projector_properties():
    k0, c0 = _preserved()
    u = null_space_basis(c0, 1e-6, relative=True)
    assert u.shape == (M, M - 7)
    p = (u @ u.T).double()
    torch.testing.assert_close(p, p.T)
    torch.testing.assert_close(p @ p, p, atol=1e-6, rtol=0)         # basis is stored in fp32
    assert (p @ k0.double()).norm() / k0.norm() < 1e-5
    assert null_space_basis(c0, 1e-3).shape[1] == M - 7             # absolute threshold
    with pytest.raises(ValueError, match="null space is empty"):
        null_space_basis(torch.eye(M), 1e-3)


def test_alphaedit_preserves_keys_respects_cp_and_matches_direct_form():
    k0, c0 = _preserved()
    u = null_space_basis(c0, 1e-6, relative=True)
    p = u @ u.T
    kp = rand(M, 4)                                      # earlier edits' keys
    cp = kp @ kp.T
    k1, r = rand(M, 2), rand(D, 2)
    delta, beta = projected_ridge(r, k1, u, u.T @ cp @ u, l2=0.5)
    direct = projected_ridge_direct(r, k1, p, cp, 0.5)
    assert (delta - direct).norm() / direct.norm() < 1e-4
    out0 = torch.randn(D, M) @ k0
    assert (delta @ k0).norm() / out0.norm() < 1e-3        # preserved keys' outputs unchanged
    torch.testing.assert_close(delta, r @ beta.T, atol=1e-6, rtol=1e-5)
    # the normal equations of min ‖ΔK1 − R‖² + ‖ΔP Kp‖² + L2‖ΔP‖² restricted to Δ = ΔP
    lhs = delta.double() @ (k1 @ k1.T + cp + 0.5 * torch.eye(M)).double() @ p.double()
    torch.testing.assert_close(lhs, (r @ k1.T @ p).double(), atol=1e-6, rtol=1e-5)


def test_alphaedit_without_projection_and_l2_is_least_squares():
    k1, r = rand(M, 3), rand(D, 3)
    delta, _ = projected_ridge(r, k1, torch.eye(M), torch.zeros(M, M), l2=1e-9)
    torch.testing.assert_close(delta @ k1, r, atol=1e-4, rtol=1e-4)


def test_singular_and_non_finite_systems_raise():
    k = torch.zeros(M, 2)
    with pytest.raises(SingularSystem, match="MEMIT"):
        ridge_with_cov(rand(D, 2), k, torch.zeros(M, M), lam=1.0)
    with pytest.raises(SingularSystem, match="non-finite"):
        ridge_with_cov(rand(D, 2), torch.full((M, 2), float("nan")), torch.eye(M), lam=1.0)


def test_prune_caps_singular_values():
    u = torch.linalg.qr(torch.randn(D, D, dtype=torch.float64))[0]
    v = torch.linalg.qr(torch.randn(M, D, dtype=torch.float64))[0]
    s = torch.tensor([50.0, 20.0, 5.0, 2.0, 0.5, 0.1], dtype=torch.float64)
    total = ((u * s) @ v.T).float()
    out = prune_restrain(total, sigma_max=4.0)
    s_new = torch.linalg.svdvals(out.double())
    expect = torch.tensor([math.log(50) - math.log(4) + 4, math.log(20) - math.log(4) + 4, math.log(5) - math.log(4) + 4,
                           2.0, 0.5, 0.1], dtype=torch.float64)
    torch.testing.assert_close(s_new, expect, atol=1e-5, rtol=1e-5)
    assert s_new.max() < 4.0 + math.log(50 / 4) + 1e-6
    small = ((u[:, 3:] * s[3:]) @ v[:, 3:].T).float()
    torch.testing.assert_close(prune_restrain(small, 4.0), small, atol=1e-6, rtol=1e-5)   # below σ_max: kept


def test_rect_keeps_top_share_of_relative_change():
    delta, weight = rand(20, 50), rand(20, 50)
    out = rect_sparsify(delta, weight, 40.0)
    rel = (delta / (weight + 1e-8)).abs()
    kept = out != 0
    k = math.floor(1000 * 0.6)
    assert int(kept.sum()) == 1000 - k + 1                # entries with r >= the k-th smallest
    assert rel[kept].min() >= rel[~kept].max()
    torch.testing.assert_close(out[kept], delta[kept])
    assert torch.equal(rect_sparsify(delta, weight, 100.0), delta)
