"""Closed-form updates, pure linear algebra in the math orientation (Δ: [d, m], keys: [m, n]).

* `rank_one`         ROME (docs/methods.md#rome):      Δ = (v* − W k* − b) uᵀ / (uᵀ k*), u = C0⁻¹ k̄ (or k̄)
* `ridge_with_cov`   MEMIT (docs/methods.md#memit):     Δ = R Kᵀ (λ C0 + K Kᵀ)⁻¹                       (fp64 solve)
                     ENCORE (docs/methods.md#encore):   Δ = R Kᵀ (λ C0 + μ I + Cp + K Kᵀ)⁻¹
* `projected_ridge`  AlphaEdit (docs/methods.md#alphaedit): Δ = R Kᵀ Û (Ûᵀ (K Kᵀ + Cp) Û + L2 I_r)⁻¹ Ûᵀ   (fp64, r×r)
  the exact r×r form of Δ = R Kᵀ P (K Kᵀ P + Cp P + L2 I)⁻¹ with P = Û Ûᵀ (docs/methods.md#alphaedit): the solution of
  (P X + L2 I) Y = P K Rᵀ lies in col(P), so Y = Û y with (Ûᵀ X Û + L2 I) y = Ûᵀ K Rᵀ.
Every solve checks its result; a singular or non-finite system raises `SingularSystem`.
"""
from __future__ import annotations

import torch


class SingularSystem(FloatingPointError):
    pass


def _solve_spd(a: torch.Tensor, b: torch.Tensor, what: str) -> torch.Tensor:
    """Solve a X = b for symmetric positive (semi)definite a, via Cholesky, falling back to LU."""
    if not (torch.isfinite(a).all() and torch.isfinite(b).all()):
        raise SingularSystem(f"{what}: non-finite entries in the system")
    chol, info = torch.linalg.cholesky_ex(a)
    if int(info) == 0:
        x = torch.cholesky_solve(b, chol)
    else:
        x, info = torch.linalg.solve_ex(a, b)
        if int(info) != 0:
            raise SingularSystem(f"{what}: the matrix is singular (leading minor {int(info)})")
    if not torch.isfinite(x).all():
        raise SingularSystem(f"{what}: the solve produced non-finite values")
    return x


def rank_one(current_out: torch.Tensor, v_star: torch.Tensor, k_star: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """ROME: the rank-one Δ with (W + Δ) k* = W k* + (v* − current_out), i.e. the module maps k* to v*.

    current_out = W k* + b [d]; v_star [d]; k_star, u [m]. Only directions along u are changed."""
    denom = torch.dot(u.double(), k_star.double())
    if not torch.isfinite(denom) or denom.abs() < 1e-12:
        raise SingularSystem(f"rank-one update: uᵀk* = {float(denom):.3g} is (near) zero")
    return (torch.outer(v_star.double() - current_out.double(), u.double()) / denom).float()


def ridge_with_cov(resid: torch.Tensor, keys: torch.Tensor, c0: torch.Tensor, lam: float,
                   prior: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """MEMIT: Δ = R Kᵀ (λ C0 + K Kᵀ)⁻¹ in fp64. resid [d, n], keys [m, n], c0 [m, m]. `prior` [m, m] joins
    the matrix: ENCORE's μ I + Σ past K Kᵀ (docs/methods.md#encore), Δ = R Kᵀ (λ C0 + prior + K Kᵀ)⁻¹.

    Returns (Δ [d, m], β [m, n]) with β = (λ C0 + prior + K Kᵀ)⁻¹ K, so Δ = R βᵀ."""
    k = keys.double()
    a = lam * c0.to(k.device, torch.float64) + k @ k.T     # C0 is kept on the CPU with the statistics
    if prior is not None:
        a = a + prior.to(k.device, torch.float64)
    adj = _solve_spd(a, k, "MEMIT ridge solve")          # [m, n]
    return (resid.double() @ adj.T).float(), adj.float()


def projected_ridge(resid: torch.Tensor, keys: torch.Tensor, basis: torch.Tensor, cp_proj: torch.Tensor,
                    l2: float) -> tuple[torch.Tensor, torch.Tensor]:
    """AlphaEdit in the r×r form. basis Û [m, r]; cp_proj = Ûᵀ Cp Û [r, r] (Cp = Σ past K Kᵀ).

    Returns (Δ [d, m], β [m, n]) with Δ = R βᵀ: β_j is edit j's activation vector (DeltaEdit docs/methods.md#deltaedit)."""
    u = basis.double()
    ku = u.T @ keys.double()                              # Ûᵀ K  [r, n]
    a = ku @ ku.T + cp_proj.double() + l2 * torch.eye(u.shape[1], dtype=torch.float64, device=u.device)
    y = _solve_spd(a, ku, "AlphaEdit projected solve")   # [r, n]
    beta = u @ y                                          # [m, n]
    return (resid.double() @ beta.T).float(), beta.float()

