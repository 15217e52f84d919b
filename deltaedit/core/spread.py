"""The MEMIT-family edit (docs/methods.md#spreading-over-layers), shared by MEMIT, PRUNE, RECT, AlphaEdit and DeltaEdit.

1. z*_j for every request at the block output of the last edited layer L* (docs/methods.md#the-target-value-z).
2. For each edited layer l_i in increasing order: keys K_i on the current model, the current L* output
   h_j, residual R_i = (z* − h) / (L − i), Δ_i = solve(l_i, K_i, R_i); apply Δ_i at once so later keys
   and residuals see it. The model is restored exactly on exit — the caller applies the deltas.
Methods differ only in `solve` (and, for DeltaEdit, a projection of δ during step 1, chosen from the keys
at L* of the pass that also gives step 2 its first keys: the model does not change in between).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch

from deltaedit.core.anchor import anchored_target, mlp_output
from deltaedit.core.keys import stack_keys, stack_passes, template_keys
from deltaedit.core.values import ValueConfig, optimise_value
from deltaedit.hparams import HParams, HParamsError
from deltaedit.models import adapter_for, add_delta, restore, snapshot
from deltaedit.types import EditRequest, EditTrace

# solve(layer, keys [m, n], resid [d, n]) -> (Δ [d, m], β [m, n] or None)
Solver = Callable[[int, torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor | None]]
# choose(passes) -> projection of δ or None; passes[j] = template_keys(request j) at layers[0] and L*
Chooser = Callable[[list[tuple[dict[int, torch.Tensor], torch.Tensor]]], Callable[[torch.Tensor], torch.Tensor] | None]


@dataclass(frozen=True)
class ValueHParams(HParams):
    """The value-optimisation settings every locate-then-edit method shares (docs/methods.md#the-target-value-z)."""
    layers: list[int] = field(default_factory=list)
    v_lr: float = 0.5
    v_num_grad_steps: int = 20
    clamp_norm_factor: float = 0.75
    kl_factor: float = 0.0625
    v_weight_decay: float = 0.5
    early_stop_loss: float = 0.05
    kl_prompt: str = "{} is a"

    def validate(self, source: str) -> None:
        if not self.layers or sorted(set(self.layers)) != list(self.layers) or min(self.layers) < 0:
            raise HParamsError(f"{source}: key 'layers' must be a non-empty increasing list of layer indices")
        if self.v_num_grad_steps < 1 or self.v_lr <= 0 or self.clamp_norm_factor <= 0:
            raise HParamsError(f"{source}: v_num_grad_steps, v_lr and clamp_norm_factor must be positive")

    def value_config(self, early_stop_prob: float | None = None) -> ValueConfig:
        return ValueConfig(self.v_lr, self.v_num_grad_steps, self.clamp_norm_factor, self.kl_factor,
                           self.v_weight_decay, self.early_stop_loss, early_stop_prob, self.kl_prompt)


def spread_edit(model, tok, requests: list[EditRequest], layers: list[int], templates: list[str],
                vcfg: ValueConfig, solve: Solver, choose: Chooser | None = None,
                anchor: tuple[float, str] | None = None) -> tuple[dict[int, torch.Tensor], EditTrace]:
    """`anchor` (norm, rule) holds each v* at a norm of the unedited model (NAS, core/anchor.py)."""
    ad = adapter_for(model)
    z_site = ad.block(layers[-1])
    # one pass per request: the first layer's keys and the current L* outputs for step 2, and, for `choose`,
    # the keys at L* (no extra pass: this one runs up to block L* for its output anyway)
    read = sorted({layers[0], layers[-1]}) if choose else [layers[0]]
    first = [template_keys(model, tok, r, read, templates, z_site) for r in requests]
    project = choose(first) if choose else None
    values = [optimise_value(model, tok, r, z_site, templates, vcfg, project) for r in requests]
    # v* = v0 + δ, the MLP output the edit asks of block L* (its norm per edit: docs/methods.md#nas)
    v0 = [mlp_output(model, tok, r, layers[-1]) for r in requests]
    targets = [anchored_target(v.h_init, v.delta, v0_j, *anchor) if anchor else (v.target, {})
               for v, v0_j in zip(values, v0)]
    z = torch.stack([t for t, _ in targets], 1)                         # [d, n]
    trace = EditTrace(info={"value_prob_before": sum(v.prob_before for v in values) / len(values),
                            "value_prob_after": sum(v.prob_after for v in values) / len(values),
                            "value_steps": sum(v.steps for v in values),
                            "value_seconds": sum(v.seconds for v in values)})
    trace.info["delta_norm"] = [float(v.delta.norm()) for v in values]
    trace.info["v_star_norm"] = [float((v.delta + v0_j).norm()) for v, v0_j in zip(values, v0)]
    if anchor:
        trace.info["anchored"] = [info["anchored"] for _, info in targets]
    saved = snapshot(model, layers)
    deltas: dict[int, torch.Tensor] = {}
    try:
        for i, layer in enumerate(layers):
            keys, h = (stack_passes(first, layer, templates) if i == 0 else
                       stack_keys(model, tok, requests, layer, templates, out_site=z_site))   # one pass each
            resid = (z - h) / (len(layers) - i)                         # spread the remaining gap
            delta, beta = solve(layer, keys, resid)
            add_delta(model, layer, delta)
            deltas[layer] = delta
            trace.keys[layer], trace.alphas[layer] = keys, resid
            if beta is not None:
                trace.betas[layer] = beta
    finally:
        restore(model, saved)
    return deltas, trace
