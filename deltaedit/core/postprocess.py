"""Delta post-processors (Deltas -> Deltas) that PRUNE and RECT compose onto MEMIT.

* `rect_sparsify` (RECT, docs/methods.md#rect): keep only the entries of an edit's Δ whose relative change
  |Δ_ij / W_ij| is among the top `keep_percent` %, W being the current weight.
* `prune_restrain` (PRUNE, docs/methods.md#prune): in the SVD of the accumulated edit ΔW = U Σ Vᵀ, every singular value
  σ ≥ σ_max(W0) becomes log_b(σ) − log_b(σ_max) + σ_max; smaller ones are kept. This bounds the
  condition number of W0 + ΔW without touching small, fact-specific directions.
"""
from __future__ import annotations

import math

import torch


def rect_sparsify(delta: torch.Tensor, weight: torch.Tensor, keep_percent: float) -> torch.Tensor:
    """Zero all but the top `keep_percent` % of entries by |Δ / (W + 1e-8)| (kthvalue threshold)."""
    if not 0 < keep_percent <= 100:
        raise ValueError(f"keep_percent must be in (0, 100], got {keep_percent}")
    rel = (delta / (weight + 1e-8)).abs().flatten()
    k = math.floor(rel.numel() * (100 - keep_percent) / 100)
    if k < 1:
        return delta.clone()
    threshold = torch.kthvalue(rel.double().cpu(), k).values.to(rel.dtype)
    return delta * (rel.view_as(delta) >= threshold).to(delta.dtype)   # as the reference: r ≥ kth value


def prune_restrain(total: torch.Tensor, sigma_max: float, log_base: float = math.e) -> torch.Tensor:
    """Shrink the large singular values of an accumulated delta [d, m] (PRUNE)."""
    u, s, vh = torch.linalg.svd(total.double(), full_matrices=False)
    big = s >= sigma_max
    lb = math.log(log_base)
    s_new = torch.where(big, torch.log(s.clamp_min(1e-300)) / lb - math.log(sigma_max) / lb + sigma_max, s)
    return ((u * s_new) @ vh).float()
