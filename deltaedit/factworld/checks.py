"""The fact world's bar: are facts learned, and are they stored where locate-then-edit looks?

`fact_accuracy` measures top-1 (all target tokens argmax, teacher forced) of the true object on the main
prompt, the paraphrase prompts and the neighbourhood prompts of CounterFact-format records.
`editability` is the fact world's causal trace: for each layer L below the last, optimise an additive
vector at the subject's last token on block L's output (docs/methods.md#the-target-value-z) and count how often the
new target becomes the top-1 prediction of the plain prompt. A model that reads facts at the last
token through attention fails this at every layer (docs/factworld.md).
"""
from __future__ import annotations

import logging
import random

import torch
from tqdm.auto import tqdm

from deltaedit.core.values import ValueConfig, optimise_value, subject_last_index
from deltaedit.eval.scoring import prompt_ids, score_targets, target_ids
from deltaedit.hooks import EditOutput
from deltaedit.models import adapter_for
from deltaedit.types import EditRecord

log = logging.getLogger(__name__)


def fact_accuracy(model, tok, records: list[EditRecord], batch_size: int = 128) -> dict[str, float]:
    groups: dict[str, tuple[list, list]] = {"main": ([], []), "paraphrase": ([], []), "neighborhood": ([], [])}
    for rec in records:
        r = rec.request
        t = target_ids(tok, r.target_true)
        groups["main"][0].append(prompt_ids(tok, r.filled))
        groups["main"][1].append(t)
        for p in rec.paraphrase_prompts:
            groups["paraphrase"][0].append(prompt_ids(tok, p))
            groups["paraphrase"][1].append(t)
        for p in rec.neighborhood_prompts:
            groups["neighborhood"][0].append(prompt_ids(tok, p))
            groups["neighborhood"][1].append(target_ids(tok, rec.neighborhood_answer or r.target_true))
    out = {}
    for name, (ps, ts) in groups.items():
        scores = score_targets(model, tok, ps, ts, batch_size)
        out[name] = sum(s.top for s in scores) / max(1, len(scores))
    return out


@torch.no_grad()
def _top1_with_delta(model, tok, record: EditRecord, site: str, delta: torch.Tensor) -> bool:
    req = record.request
    idx = subject_last_index(tok, "{}", req)

    def add(h):
        h = h.clone()
        h[0, idx] += delta.to(h.dtype)
        return h

    with EditOutput(model, site, add):
        s = score_targets(model, tok, [prompt_ids(tok, req.filled)], [target_ids(tok, req.target_new)])[0]
    return s.top


def editability(model, tok, records: list[EditRecord], n_facts: int = 200, layers: list[int] | None = None,
                cfg: ValueConfig | None = None, templates: list[str] | None = None, seed: int = 0) -> dict[int, float]:
    """Share of `n_facts` random facts whose new target becomes top-1 after optimising at each layer."""
    cfg = cfg or ValueConfig(v_num_grad_steps=25, v_lr=0.5, clamp_norm_factor=4.0)
    templates = templates or ["{}"]
    ad = adapter_for(model)
    layers = layers if layers is not None else list(range(ad.n_layers(model) - 1))
    sample = random.Random(seed).sample(records, min(n_facts, len(records)))
    curve = {}
    for layer in layers:
        site = ad.block(layer)
        ok = 0
        for rec in tqdm(sample, desc=f"editability layer {layer}", leave=False):
            res = optimise_value(model, tok, rec.request, site, templates, cfg)
            ok += _top1_with_delta(model, tok, rec, site, res.delta)
        curve[layer] = ok / len(sample)
        log.info("editability at layer %d: %.3f", layer, curve[layer])
    return curve


def key_scales(model, tok, records: list[EditRecord], c0: dict, templates: list[str], n: int = 50,
               thresholds=(1e-3, 1e-2, 3e-2, 1e-1, 3e-1)) -> dict:
    """The numbers that set λ, L2 and the null-space threshold for a small model (docs/factworld.md).

    Per layer: the median s = kᵀ C0⁻¹ k of edit keys (a MEMIT edit with one key closes s / (λ + s) of
    the gap), and for relative null-space thresholds the null-space size r, the share of C0's trace and
    the median share of an edit key's squared norm that lies in it (AlphaEdit closes
    ‖Pk‖² / (‖Pk‖² + L2) of the gap)."""
    from deltaedit.core.keys import stack_keys
    from deltaedit.stats import null_space_basis

    sample = random.Random(0).sample(records, min(n, len(records)))
    out = {}
    for layer, c in c0.items():
        keys = stack_keys(model, tok, [r.request for r in sample], layer, templates)[0].double()
        cinv_k = torch.linalg.solve(c.double(), keys)
        s = (keys * cinv_k).sum(0)
        row = {"median_kCk": float(s.median()), "median_key_sq": float((keys ** 2).sum(0).median()), "null": {}}
        for t in thresholds:
            try:
                u = null_space_basis(c, t, relative=True).double()
            except ValueError:                      # nothing below this threshold
                row["null"][str(t)] = {"r": 0}
                continue
            pk = ((u.T @ keys) ** 2).sum(0)
            row["null"][str(t)] = {"r": u.shape[1], "trace_share": float(torch.trace(u.T @ c.double() @ u) / torch.trace(c)),
                                   "median_Pk_sq": float(pk.median()),
                                   "median_key_share": float((pk / (keys ** 2).sum(0)).median())}
        out[layer] = row
    return out
