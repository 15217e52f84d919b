"""Superimposed-noise diagnostics (the paper, §3.3 and docs/methods.md#memit.1; docs/scores.md#diagnostics).

At one edited layer, after T edits with total update ΣΔ = W_T − W_0 and edit e's key k_e:
  noise_e  = ‖(Σ_{i≤T} Δ_i) k_e‖² − ‖Δ_e k_e‖²                       (eq. 12)
  noise_E  = (1/T) Σ_e noise_e                                         (eq. 13)
  mean kᵀβ = (1/(T·N)) Σ_i Σ_{j≠i} k_iᵀ β_j, with N = T − 1 others     (eq. 15, signed)
With K = [k_e] (m×T), Y = [Δ_e k_e] (d×T) and B = [β_e] (m×T) kept during the run these are a few
matrix products: E = ΣΔ·K, noise = colnorm²(E) − colnorm²(Y), A = Kᵀ B.
"""
from __future__ import annotations

import torch


def noise_per_edit(total: torch.Tensor, keys: torch.Tensor, own: torch.Tensor) -> torch.Tensor:
    """noise_e for every edit: total [d, m], keys [m, T], own = Δ_e k_e [d, T] -> [T]."""
    e = total.double() @ keys.double()
    return (e ** 2).sum(0) - (own.double() ** 2).sum(0)


def noise_E(total: torch.Tensor, keys: torch.Tensor, own: torch.Tensor) -> float:
    return float(noise_per_edit(total, keys, own).mean())


def mean_k_beta(keys: torch.Tensor, betas: torch.Tensor) -> float:
    """Signed mean of k_iᵀ β_j over i ≠ j (eq. 15); NaN with fewer than two edits."""
    t = keys.shape[1]
    if t < 2:
        return float("nan")
    a = keys.double().T @ betas.double()                  # A_ij = k_iᵀ β_j
    return float((a.sum() - a.diagonal().sum()) / (t * (t - 1)))


def diag_k_beta(keys: torch.Tensor, betas: torch.Tensor) -> float:
    """Mean k_iᵀ β_i: ≈ 1 when each edit maps its own key (a sanity companion to eq. 15)."""
    return float((keys.double() * betas.double()).sum(0).mean())
