"""ROME (docs/methods.md#rome): one rank-one update at one layer that maps the subject key to a value
optimised at the MLP output: Δ = (v* − W k − b) uᵀ / (uᵀ k), u = C0⁻¹ k̄ (or k̄ without C0).

ROME has its own context templates ("{}" + 10 samples of 5 tokens + 10 of 10, docs/methods.md#context-templates): the same 21 prompts
feed the value optimisation, and k̄ is their flat mean (not the MEMIT family's two-level average)."""
from __future__ import annotations

from dataclasses import dataclass

import torch

from deltaedit.core.keys import template_keys
from deltaedit.core.solvers import rank_one
from deltaedit.core.templates import ROME_TEMPLATES
from deltaedit.core.spread import ValueHParams
from deltaedit.core.values import optimise_value
from deltaedit.hparams import HParamsError
from deltaedit.methods.base import EditState, Method, register
from deltaedit.methods.memit import need_stats
from deltaedit.models import adapter_for, add_delta, restore, snapshot
from deltaedit.types import EditTrace


@dataclass(frozen=True)
class ROMEHParams(ValueHParams):
    clamp_norm_factor: float = 4.0          # relative to the MLP-output norm (ROME's own value)
    mom2_adjustment: bool = True            # u = C0⁻¹ k̄ (True) or k̄ (False, ROME on Llama3-8B)

    def validate(self, source):
        super().validate(source)
        if len(self.layers) != 1:
            raise HParamsError(f"{source}: ROME edits exactly one layer, got layers={self.layers}")


@register
class ROME(Method):
    name = "rome"
    hparams_cls = ROMEHParams
    templates = ROME_TEMPLATES

    def stats_layers(self, hp):
        return list(hp.layers) if hp.mom2_adjustment else []

    def init_state(self, model, hp, ctx):
        if not hp.mom2_adjustment:
            return EditState()
        (l,) = hp.layers
        chol = torch.linalg.cholesky(need_stats(ctx, [l], self.name)[l].double())   # C0 = L Lᵀ, reused per edit
        return EditState(tensors={f"c0_chol.{l}": chol})

    def compute_deltas(self, model, tok, requests, hp, state, ctx):
        (l,) = hp.layers
        site = adapter_for(model).mlp_name(l)
        trace, saved, total = EditTrace(), snapshot(model, [l]), None
        try:
            for r in requests:                       # ROME is a single-edit method: one request at a time
                res = optimise_value(model, tok, r, site, ctx.templates, hp.value_config())
                keys, _ = template_keys(model, tok, r, [l], ctx.templates)     # k̄ and k_plain, one pass
                k_bar, k_plain = keys[l].mean(0), keys[l][ctx.templates.index("{}")]    # flat mean over all templates
                u = k_bar.double()
                if hp.mom2_adjustment:
                    u = torch.cholesky_solve(u[:, None], state.tensors[f"c0_chol.{l}"].to(u.device))[:, 0]
                u = (u / u.norm()).float()
                delta = rank_one(res.h_init, res.target, k_plain, u)      # h_init = W k_plain + b
                add_delta(model, l, delta)
                total = delta if total is None else total + delta
                trace.keys[l], trace.alphas[l] = k_plain[:, None], (res.target - res.h_init)[:, None]
                trace.betas[l] = (u / torch.dot(u, k_plain))[:, None]
                trace.info.update(value_prob_before=res.prob_before, value_prob_after=res.prob_after,
                                  value_seconds=trace.info.get("value_seconds", 0.0) + res.seconds,
                                  value_steps=trace.info.get("value_steps", 0) + res.steps)
        finally:
            restore(model, saved)
        return {l: total}, trace
