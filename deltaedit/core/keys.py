"""Keys (ALGORITHMS.md §1.2): the input of the MLP output projection at the subject's last token.

The templates come in groups: ["{}"] and the generated prefixes. A key is averaged within each group
and then across groups, k = ½ (k_plain + mean_prefixed k), so the plain prompt weighs as much as all
prefixed ones together. All layers are read in one forward pass, on the *current* model.
"""
from __future__ import annotations

import torch

from deltaedit.core.values import subject_last_index
from deltaedit.eval.scoring import pad_right, prompt_ids
from deltaedit.hooks import Capture
from deltaedit.models import adapter_for, device_of
from deltaedit.types import EditRequest


def template_groups(templates: list[str]) -> list[list[int]]:
    """Indices of the plain template group and of the prefixed group (empty groups dropped)."""
    plain = [i for i, t in enumerate(templates) if t == "{}"]
    rest = [i for i, t in enumerate(templates) if t != "{}"]
    return [g for g in (plain, rest) if g]


@torch.no_grad()
def compute_keys(model, tok, request: EditRequest, layers: list[int], templates: list[str]) -> dict[int, torch.Tensor]:
    """{layer: k [m]} for one request, template-group averaged, in float32."""
    ad = adapter_for(model)
    rows = [prompt_ids(tok, t.format(request.filled)) for t in templates]
    idx = [subject_last_index(tok, t, request) for t in templates]
    ids, mask = pad_right(rows, tok.pad_token_id, device_of(model))
    sites = [ad.key_site(l) for l in layers]
    with Capture(model, sites, "input") as cap:
        model(input_ids=ids, attention_mask=mask)
    out = {}
    for l, site in zip(layers, sites):
        k = cap[site][torch.arange(len(rows)), torch.tensor(idx)].float()   # [n_templates, m]
        out[l] = torch.stack([k[g].mean(0) for g in template_groups(templates)]).mean(0)
    return out


@torch.no_grad()
def hidden_at_subject(model, tok, request: EditRequest, site: str) -> torch.Tensor:
    """Output of module `site` at the subject's last token of the plain prompt, [d]."""
    ids = torch.tensor([prompt_ids(tok, request.filled)], device=device_of(model))
    with Capture(model, [site], "output") as cap:
        model(input_ids=ids)
    return cap[site][0, subject_last_index(tok, "{}", request)].float()


def stack_keys_plain(model, tok, requests: list[EditRequest], layer: int) -> torch.Tensor:
    """Plain-prompt keys of several requests at one layer, [m, n]."""
    return torch.stack([compute_keys(model, tok, r, [layer], ["{}"])[layer] for r in requests], 1)
