"""RECT (docs/methods.md#rect): MEMIT, then keep only the top share of each edit's relative changes."""
from __future__ import annotations

from dataclasses import dataclass

from deltaedit.core.postprocess import rect_sparsify
from deltaedit.hparams import HParamsError
from deltaedit.methods.base import register
from deltaedit.methods.memit import MEMIT, MEMITHParams
from deltaedit.models import read_weight


@dataclass(frozen=True)
class RECTHParams(MEMITHParams):
    rect_keep_percent: float = 40.0         # AlphaEdit's baseline keeps 40 %; the RECT paper 20 %

    def validate(self, source):
        super().validate(source)
        if not 0 < self.rect_keep_percent <= 100:
            raise HParamsError(f"{source}: key 'rect_keep_percent' must be in (0, 100]")


@register
class RECT(MEMIT):
    name = "rect"
    hparams_cls = RECTHParams

    def compute_deltas(self, model, tok, requests, hp, state, ctx):
        deltas, trace = super().compute_deltas(model, tok, requests, hp, state, ctx)
        sparse = {l: rect_sparsify(d, read_weight(model, l).to(d), hp.rect_keep_percent) for l, d in deltas.items()}
        trace.info["rect_kept"] = {str(l): int((d != 0).sum()) for l, d in sparse.items()}
        trace.betas.clear()                  # the sparsified Δ is no longer α βᵀ
        return sparse, trace
