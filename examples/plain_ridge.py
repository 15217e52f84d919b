"""An example method module (README "Extending"): MEMIT without the key statistics.

MEMIT solves Δ = R Kᵀ (λ C0 + K Kᵀ)⁻¹; with C0 replaced by the identity it becomes a plain ridge regression
that protects no direction of the preserved keys in particular, the usual ablation of MEMIT's covariance
term. It reuses everything else (the value step, the spread over layers, the solver) and differs only in
the matrix the solver is given, so the module is a dozen lines.

    .venv/bin/snakemake --cores 2 --config methods='[memit, plainridge]' method_modules='[examples/plain_ridge.py]'
"""
from pathlib import Path

import torch

from deltaedit.core.solvers import ridge_with_cov
from deltaedit.core.spread import spread_edit
from deltaedit.methods import register
from deltaedit.methods.memit import MEMIT


@register
class PlainRidge(MEMIT):
    name = "plainridge"
    hparams_dir = str(Path(__file__).parent / "hparams")      # <hparams_dir>/<model>.yaml, MEMIT's fields

    def stats_layers(self, hp):
        return []                                             # no C0: nothing for rule key_stats to compute

    def compute_deltas(self, model, tok, requests, hp, state, ctx):
        def solve(layer, keys, resid):
            return ridge_with_cov(resid, keys, torch.eye(keys.shape[0]), hp.mom2_update_weight)
        return spread_edit(model, tok, requests, hp.layers, ctx.templates, hp.value_config(), solve)
