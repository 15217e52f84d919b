"""MEMIT (docs/methods.md#memit): ridge regression against the preserved-key statistics, spread over layers."""
from __future__ import annotations

from dataclasses import dataclass

from deltaedit.core.solvers import ridge_with_cov
from deltaedit.core.spread import ValueHParams, spread_edit
from deltaedit.methods.base import EditContext, Method, register


@dataclass(frozen=True)
class MEMITHParams(ValueHParams):
    mom2_update_weight: float = 20000.0     # λ in Δ = R Kᵀ (λ C0 + K Kᵀ)⁻¹


def need_stats(ctx: EditContext, layers, method: str):
    missing = [l for l in layers if l not in ctx.stats]
    if missing:
        raise KeyError(f"method {method!r} needs key statistics C0 for layers {missing}")
    return {l: ctx.stats[l] for l in layers}


@register
class MEMIT(Method):
    name = "memit"
    hparams_cls = MEMITHParams

    def stats_layers(self, hp):
        return list(hp.layers)

    def compute_deltas(self, model, tok, requests, hp, state, ctx):
        c0 = need_stats(ctx, hp.layers, self.name)
        return spread_edit(model, tok, requests, hp.layers, ctx.templates, hp.value_config(),
                           lambda l, k, r: ridge_with_cov(r, k, c0[l], hp.mom2_update_weight))
