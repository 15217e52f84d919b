"""Norm-anchor scaling (NAS, docs/methods.md#nas): the solved value vector v* held at a norm of the unedited model.

In the MEMIT family the target of an edit is the block output z* = h + δ at the subject's last token of
layer L*. Splitting h into the MLP output v0 and the rest (h − v0), the MLP's new output is v* = v0 + δ.
Sequential editing grows ‖v*‖ and the edited weights together (a positive feedback loop); NAS breaks it by
rescaling every v* to an anchor: the mean ‖v*‖ of edits solved on the *unedited* model. Two rules:

* ``code`` (the released code): v* is rescaled to the anchor, up or down; a v* over twice the anchor is
  dropped (v* = v0, so z* = h: the edit writes nothing).
* ``paper`` (the paper's text): v* is rescaled to the anchor, always.

The anchor is the mean of ‖v*‖ over a seeded sample of requests, each solved on the unedited model with the
plain prompt only, after dropping the largest 5 % (the released code's trimmed mean).
"""
from __future__ import annotations

import math
import random

import torch
from tqdm.auto import tqdm

from deltaedit.core.keys import template_keys
from deltaedit.core.values import ValueConfig, optimise_value
from deltaedit.models import adapter_for
from deltaedit.types import EditRequest

RULES = ("code", "paper")


def mlp_output(model, tok, request: EditRequest, layer: int) -> torch.Tensor:
    """v0: the MLP output of block `layer` at the subject's last token of the plain prompt, [d]."""
    return template_keys(model, tok, request, [layer], ["{}"], out_site=adapter_for(model).mlp_name(layer))[1]


def trimmed_mean(values: list[float], drop_top: float = 0.05) -> float:
    """The mean after dropping the floor(drop_top · n) largest values."""
    kept = sorted(values)[: len(values) - math.floor(drop_top * len(values)) or None]
    return sum(kept) / len(kept)


def anchor_norm(model, tok, requests: list[EditRequest], layer: int, cfg: ValueConfig, n: int, seed: int = 0) -> float:
    """The anchor: trimmed mean of ‖v0 + δ‖ over `n` requests drawn (seeded) from `requests`, each δ optimised
    at the output of block `layer` of the model as it is (call it on the unedited model)."""
    if not requests:
        raise ValueError("the norm anchor needs requests to sample (EditContext.requests is empty)")
    sample = requests if n >= len(requests) else random.Random(seed).sample(requests, n)
    site = adapter_for(model).block(layer)
    bar = tqdm(sample, desc="norm anchor", unit="request")   # minutes on a CPU: one value optimisation each
    norms = [float((mlp_output(model, tok, r, layer) + optimise_value(model, tok, r, site, ["{}"], cfg).delta).norm())
             for r in bar]
    return trimmed_mean(norms)


def anchored_target(h: torch.Tensor, delta: torch.Tensor, v0: torch.Tensor, anchor: float, rule: str
                    ) -> tuple[torch.Tensor, dict]:
    """z* with v* = v0 + δ held at the anchor: (h − v0) + v*', by `rule` (module docstring)."""
    v_star = v0 + delta
    norm = float(v_star.norm())
    if rule == "code" and norm > 2 * anchor:
        return h.clone(), {"v_star_norm": norm, "anchored": "dropped"}
    scaled = v_star * (anchor / norm) if norm > 0 else v_star
    return h - v0 + scaled, {"v_star_norm": norm, "anchored": "scaled"}
