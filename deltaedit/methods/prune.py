"""PRUNE (docs/methods.md#prune): MEMIT edits; at evaluation the accumulated edit's large singular values
are restrained (the running, unrestrained weights keep being edited)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from deltaedit.core.postprocess import prune_restrain
from deltaedit.hparams import HParamsError
from deltaedit.methods.base import EditState, register
from deltaedit.methods.memit import MEMIT, MEMITHParams
from deltaedit.models import read_weight


@dataclass(frozen=True)
class PRUNEHParams(MEMITHParams):
    prune_log_base: float = math.e          # α of F(σ) = log_α σ − log_α σ_max + σ_max

    def validate(self, source):
        super().validate(source)
        if self.prune_log_base <= 1:
            raise HParamsError(f"{source}: key 'prune_log_base' must be > 1")


@register
class PRUNE(MEMIT):
    name = "prune"
    hparams_cls = PRUNEHParams

    def init_state(self, model, hp, ctx):
        return EditState(tensors={f"sigma_max.{l}": torch.linalg.matrix_norm(read_weight(model, l).double(), 2)
                                  .float().reshape(1) for l in hp.layers})

    def finalize(self, model, total, hp, state):
        return {l: prune_restrain(d, float(state.tensors[f"sigma_max.{l}"]), hp.prune_log_base)
                for l, d in total.items()}
