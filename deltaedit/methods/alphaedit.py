"""AlphaEdit (docs/methods.md#alphaedit): MEMIT's spreading with a null-space projected ridge solve.

Per edited layer the state keeps Û (the basis of C0's approximate null space; P = Û Ûᵀ) and
Ûᵀ Cp Û, the projected sum of past edits' K Kᵀ, so each solve is r×r (docs/methods.md#alphaedit) and exact.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from deltaedit.core.anchor import RULES, anchor_norm
from deltaedit.core.solvers import projected_ridge
from deltaedit.core.spread import ValueHParams, spread_edit
from deltaedit.hparams import HParamsError
from deltaedit.methods.base import EditState, Method, register
from deltaedit.methods.memit import need_stats
from deltaedit.stats import null_space_basis


@dataclass(frozen=True)
class AlphaEditHParams(ValueHParams):
    nullspace_threshold: float = 2e-2       # eigenvalues of C0 below this span the null space
    nullspace_relative: bool = False        # True: threshold x λ_max(C0) (for small models, docs/factworld.md)
    L2: float = 10.0                        # weight of ‖ΔP‖²
    # NAS's norm anchor on top (docs/methods.md#nas): null (off), "code" or "paper"; the anchor is the trimmed
    # mean ‖v*‖ of `anchor_samples` of the run's requests (seeded by `anchor_seed`) solved on the unedited model
    norm_anchor: str | None = None
    anchor_samples: int = 1000
    anchor_seed: int = 0

    def validate(self, source):
        super().validate(source)
        if self.nullspace_threshold <= 0 or self.L2 < 0:
            raise HParamsError(f"{source}: nullspace_threshold must be > 0 and L2 >= 0")
        if self.norm_anchor not in (None, *RULES) or self.anchor_samples < 1:
            raise HParamsError(f"{source}: norm_anchor must be null or one of {list(RULES)}, "
                               f"anchor_samples >= 1 (got {self.norm_anchor!r}, {self.anchor_samples})")


@register
class AlphaEdit(Method):
    name = "alphaedit"
    hparams_cls = AlphaEditHParams

    def stats_layers(self, hp):
        return list(hp.layers)

    def init_state(self, model, hp, ctx):
        state = EditState()
        for l, c0 in need_stats(ctx, hp.layers, self.name).items():
            basis = null_space_basis(c0, hp.nullspace_threshold, hp.nullspace_relative)
            state.tensors[f"basis.{l}"] = basis
            state.tensors[f"cp_proj.{l}"] = torch.zeros(basis.shape[1], basis.shape[1], dtype=torch.float64)
        return state

    def solver(self, hp, state):
        def solve(l, keys, resid):
            basis = state.tensors[f"basis.{l}"].to(keys.device)
            return projected_ridge(resid, keys, basis, state.tensors[f"cp_proj.{l}"].to(keys.device), hp.L2)
        return solve

    def accumulate(self, state, trace):
        """Cp += K Kᵀ for this edit's keys (computed on the model as it was being edited, docs/methods.md#alphaedit)."""
        for l, keys in trace.keys.items():
            ku = state.tensors[f"basis.{l}"].double().T @ keys.double().cpu()
            state.tensors[f"cp_proj.{l}"] += ku @ ku.T

    def anchor(self, model, tok, requests, hp, state, ctx):
        """(norm, rule) of NAS's anchor, or None. Computed at the first edit, on the model as it is then (in a
        run: unedited), from the run's requests (else this edit's), and kept in the state for the rest."""
        if not hp.norm_anchor:
            return None
        if "norm_anchor" not in state.scalars:
            state.scalars["norm_anchor"] = anchor_norm(model, tok, ctx.requests or requests, hp.layers[-1],
                                                       hp.value_config(), hp.anchor_samples, hp.anchor_seed)
        return state.scalars["norm_anchor"], hp.norm_anchor

    def compute_deltas(self, model, tok, requests, hp, state, ctx, choose=None, early_stop_prob=None):
        anchor = self.anchor(model, tok, requests, hp, state, ctx)
        deltas, trace = spread_edit(model, tok, requests, hp.layers, ctx.templates,
                                    hp.value_config(early_stop_prob), self.solver(hp, state), choose, anchor)
        self.accumulate(state, trace)
        return deltas, trace
