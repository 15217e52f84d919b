"""DeltaEdit (the paper's Algorithm 1; docs/methods.md#deltaedit): AlphaEdit whose influence vector α avoids the
column space of past edits when the current key picks up abnormal noise from them.

Per edit, with Δ_hist the accumulated update of the last edited layer L* and k_e the key there:
  x = ‖Δ_hist k_e‖²; trigger when x > m + η√v after a warm-up of 5 edits (eqs. 22–24);
  otherwise update m ← δm + (1−δ)x, v ← δv + (1−δ)(x − m)² (with the updated m).
  On trigger: D = Δ_hist Δ_histᵀ (eq. 18), eigenvectors Û of its non-zero eigenvalues, at most
  ¾·dim(α) of the largest (eq. 19), P_α = I − Û Ûᵀ (eq. 20); α ← P_α α after every step (eq. 21).
  β is AlphaEdit's. `trigger: code` switches to the released code's rule (docs/methods.md#deltaedit): two-sided
  |‖n‖ − m| > η√v on the unsquared norm of the plain-prompt key, warm-up 20, statistics starting
  at the first non-zero Δ_hist, D += n nᵀ, eigenvalues > 0.1, at most d/4 directions removed.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch

from deltaedit.core.keys import average_keys
from deltaedit.hparams import HParamsError
from deltaedit.methods.alphaedit import AlphaEdit, AlphaEditHParams
from deltaedit.methods.base import register
from deltaedit.models import device_of, weight_shape

RULES = {  # warm-up, max share of dim(α) removed, eigenvalue threshold, threshold relative to λ_max
    "paper": dict(warmup=5, max_removed_frac=0.75, eig_threshold=1e-6, eig_relative=True),
    "code": dict(warmup=20, max_removed_frac=0.25, eig_threshold=0.1, eig_relative=False),
}


@dataclass(frozen=True)
class DeltaEditHParams(AlphaEditHParams):
    eta: float = 3.0                        # η: threshold t = m + η√v (eq. 24)
    ema: float = 0.9                        # δ: sliding-average coefficient (eqs. 22–23)
    trigger: Literal["paper", "code"] = "paper"
    warmup: int | None = None               # None: the rule's own (paper 5, code 20)
    max_removed_frac: float | None = None   # None: paper 0.75, code 0.25
    eig_threshold: float | None = None      # None: paper 1e-6 x λ_max, code 0.1 absolute
    early_stop_prob: float = 0.98           # DeltaEdit's extra early stop on mean target probability
    # Which edits update m and v: "quiet" (Algorithm 1: only edits that do not fire) or "all" (this project's
    # variant, not the paper's: the threshold keeps tracking ‖Δ_hist k‖² as it grows, so a rule that has
    # fired once does not fire on every later edit only because the noise kept rising)
    stats_update: Literal["quiet", "all"] = "quiet"

    def validate(self, source):
        super().validate(source)
        if not 0 <= self.ema < 1 or self.eta < 0:
            raise HParamsError(f"{source}: need 0 <= ema < 1 and eta >= 0")

    def rule(self) -> dict:
        r = dict(RULES[self.trigger])
        for k in ("warmup", "max_removed_frac", "eig_threshold"):
            if getattr(self, k) is not None:
                r[k] = getattr(self, k)
        return r


def trigger_step(x: float, count: int, stats: dict, hp: DeltaEditHParams) -> bool:
    """Decide one edit (count = 1-based edit number) and update the sliding statistics in place.

    Warm-up: the first `warmup` edits never fire (count > warmup). Algorithm 1 says both "the first 5
    edits skip to initializing m and v" (line 4) and "e ≥ 5" (line 5), which disagree for 1-based e
    (E_1 is the first edit); the prose of line 4 is followed, so with the paper's 5 the first edit that
    can fire is edit 6 — the reading in which line 5's e counts the edits made before this one."""
    rule = hp.rule()
    m, v = stats.get("m"), stats.get("v")
    if hp.trigger == "paper":
        m, v = (0.0, 0.0) if m is None else (m, v)          # Algorithm 1, line 1
        fire = count > rule["warmup"] and x > m + hp.eta * v ** 0.5
    else:
        if m is None:                                       # first observation initialises m, v = 0
            if x > 0:
                stats.update(m=x, v=0.0)
            return False
        fire = count > rule["warmup"] and v != 0 and abs(x - m) > hp.eta * v ** 0.5
    if not fire or hp.stats_update == "all":                # Algorithm 1: only from non-triggered edits
        m = hp.ema * m + (1 - hp.ema) * x
        v = hp.ema * v + (1 - hp.ema) * (x - m) ** 2
        stats.update(m=m, v=v)
    return fire


def influence_basis(dhist: torch.Tensor, noise: torch.Tensor | None, hp: DeltaEditHParams) -> torch.Tensor:
    """Û [d, q]: eigenvectors of D = Δ_hist Δ_histᵀ (+ n nᵀ in the code rule) with non-zero eigenvalue,
    the largest first, at most max_removed_frac·d of them. Exact fp64 `eigh`, deterministic."""
    rule = hp.rule()
    dh = dhist.double()
    d_mat = dh @ dh.T
    if noise is not None:
        d_mat += torch.outer(noise.double(), noise.double())
    evals, evecs = torch.linalg.eigh(d_mat)                # ascending
    cut = rule["eig_threshold"] * evals[-1].clamp_min(0) if rule["eig_relative"] else rule["eig_threshold"]
    keep = int((evals > cut).sum())
    keep = min(keep, int(rule["max_removed_frac"] * dhist.shape[0]))
    return evecs[:, evals.numel() - keep:].float() if keep else evecs[:, :0].float()


@register
class DeltaEdit(AlphaEdit):
    name = "deltaedit"
    hparams_cls = DeltaEditHParams

    def init_state(self, model, hp, ctx):
        state = super().init_state(model, hp, ctx)
        state.tensors["dhist"] = torch.zeros(weight_shape(model, hp.layers[-1]))
        state.scalars.update(count=0, stats={})
        return state

    def compute_deltas(self, model, tok, requests, hp, state, ctx):
        z, templates = hp.layers[-1], ctx.templates
        dhist = state.tensors["dhist"]
        found = {}

        def choose(passes):
            """The trigger on each request's key at L* (read in spread_edit's first key pass), then P_α."""
            fire, info = False, []
            for keys, _ in passes:
                state.scalars["count"] += 1
                k = average_keys(keys[z], templates) if hp.trigger == "paper" else keys[z][templates.index("{}")]
                n = dhist @ k.to(dhist)
                x = float(n.norm() ** 2) if hp.trigger == "paper" else float(n.norm())
                f = trigger_step(x, state.scalars["count"], state.scalars["stats"], hp)
                fire |= f
                info.append(dict(noise=x, triggered=f, **state.scalars["stats"]))
            basis = influence_basis(dhist, n if hp.trigger == "code" else None, hp) if fire else None
            found.update(trigger=info, removed_rank=0 if basis is None else basis.shape[1])
            if not found["removed_rank"]:
                return None
            u = basis.to(device_of(model))
            return lambda a: a - u @ (u.T @ a)                  # α ← (I − Û Ûᵀ) α (eq. 21)

        deltas, trace = super().compute_deltas(model, tok, requests, hp, state, ctx, choose, hp.early_stop_prob)
        state.tensors["dhist"] = dhist + deltas[z].to(dhist)
        trace.info.update(found)
        return deltas, trace
