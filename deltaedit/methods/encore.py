"""ENCORE (beyond the paper; docs/methods.md#encore): MEMIT with most-probable early stopping and a norm penalty.

Gupta et al., "Lifelong Sequential Knowledge Editing without Model Degradation" (2025). Two changes to MEMIT:
the value optimisation stops once the new target is the most probable token after every rewriting prompt
(`mpes_patience` such steps), and the solve adds μ‖Δ‖²_F and the past edits' keys,
Δ = R Kᵀ (λ C0 + μ I + Σ_past K Kᵀ + K Kᵀ)⁻¹ (core/solvers.ridge_with_cov with a prior).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import torch

from deltaedit.core.solvers import ridge_with_cov
from deltaedit.core.spread import spread_edit
from deltaedit.hparams import HParamsError
from deltaedit.methods.base import EditState, register
from deltaedit.methods.memit import MEMIT, MEMITHParams, need_stats


@dataclass(frozen=True)
class ENCOREHParams(MEMITHParams):
    update_norm_lambda: float = 10.0        # μ, the weight of ‖Δ‖²_F
    add_prev_edits: bool = True             # Σ_past K Kᵀ in the solve (the sequential form)
    mpes_patience: int | None = 2           # stop at the n-th step where the target is every prompt's argmax

    def validate(self, source):
        super().validate(source)
        if self.update_norm_lambda < 0 or (self.mpes_patience is not None and self.mpes_patience < 1):
            raise HParamsError(f"{source}: update_norm_lambda must be >= 0 and mpes_patience null or >= 1")


@register
class ENCORE(MEMIT):
    name = "encore"
    hparams_cls = ENCOREHParams
    beyond_paper = True

    def init_state(self, model, hp, ctx):
        state = EditState()
        if hp.add_prev_edits:
            for l, c0 in need_stats(ctx, hp.layers, self.name).items():
                state.tensors[f"cp.{l}"] = torch.zeros_like(c0, dtype=torch.float64)
        return state

    def compute_deltas(self, model, tok, requests, hp, state, ctx):
        c0 = need_stats(ctx, hp.layers, self.name)

        def solve(l, keys, resid):
            prior = hp.update_norm_lambda * torch.eye(keys.shape[0], dtype=torch.float64)
            if hp.add_prev_edits:
                prior = prior + state.tensors[f"cp.{l}"]
            return ridge_with_cov(resid, keys, c0[l], hp.mom2_update_weight, prior.to(keys.device))

        vcfg = replace(hp.value_config(), mpes_patience=hp.mpes_patience)
        deltas, trace = spread_edit(model, tok, requests, hp.layers, ctx.templates, vcfg, solve)
        if hp.add_prev_edits:                           # this edit's keys join the past for the next edits
            for l, keys in trace.keys.items():
                state.tensors[f"cp.{l}"] += keys.double().cpu() @ keys.double().cpu().T
        return deltas, trace
