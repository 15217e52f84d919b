"""Keys (docs/methods.md#keys): the input of the MLP output projection at the subject's last token.

The templates come in groups: ["{}"] and the generated prefixes. A key is averaged within each group
and then across groups, k = ½ (k_plain + mean_prefixed k), so the plain prompt weighs as much as all
prefixed ones together. All layers are read in one forward pass, on the *current* model.
"""
from __future__ import annotations

import torch

from deltaedit.core.values import subject_last_index
from deltaedit.eval.scoring import pad_right, prompt_ids
from deltaedit.hooks import Capture, StopAfter
from deltaedit.models import adapter_for, device_of
from deltaedit.types import EditRequest


def template_groups(templates: list[str]) -> list[list[int]]:
    """Indices of the plain template group and of the prefixed group (empty groups dropped)."""
    plain = [i for i, t in enumerate(templates) if t == "{}"]
    rest = [i for i, t in enumerate(templates) if t != "{}"]
    return [g for g in (plain, rest) if g]


@torch.no_grad()
def template_keys(model, tok, request: EditRequest, layers: list[int], templates: list[str],
                  out_site: str | None = None) -> tuple[dict[int, torch.Tensor], torch.Tensor | None]:
    """One forward pass over the filled templates: the key of every template at every layer
    ({layer: [n_templates, m]}, float32) and, with `out_site`, that module's output at the subject's last
    token of the plain "{}" row ([d]) — the current value the residual of docs/methods.md#spreading-over-layers is measured against."""
    ad = adapter_for(model)
    rows = [prompt_ids(tok, t.format(request.filled)) for t in templates]
    idx = torch.tensor([subject_last_index(tok, t, request) for t in templates])
    ids, mask = pad_right(rows, tok.pad_token_id, device_of(model))
    sites = [ad.key_site(l) for l in layers]
    last = ad.block(max([*layers, *([ad.layer_of(model, out_site)] if out_site else [])]))
    with Capture(model, sites, "input") as cap, Capture(model, [out_site] if out_site else [], "output") as out, \
            StopAfter(model, last):                 # no block above the deepest one read needs to run
        model(input_ids=ids, attention_mask=mask)
    keys = {l: cap[s][torch.arange(len(rows)), idx].float() for l, s in zip(layers, sites)}
    hidden = None
    if out_site:
        plain = templates.index("{}")
        hidden = out[out_site][plain, idx[plain]].float()
    return keys, hidden


def average_keys(keys: torch.Tensor, templates: list[str]) -> torch.Tensor:
    """[n_templates, m] -> [m]: mean within each template group, then across groups."""
    return torch.stack([keys[g].mean(0) for g in template_groups(templates)]).mean(0)


def compute_keys(model, tok, request: EditRequest, layers: list[int], templates: list[str]) -> dict[int, torch.Tensor]:
    """{layer: k [m]} for one request, template-group averaged, in float32."""
    keys, _ = template_keys(model, tok, request, layers, templates)
    return {l: average_keys(k, templates) for l, k in keys.items()}


def stack_keys(model, tok, requests: list[EditRequest], layer: int, templates: list[str],
               out_site: str | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Averaged keys of several requests at one layer, [m, n], and (with `out_site`) the plain-prompt
    outputs there, [d, n] — one forward pass per request."""
    return stack_passes([template_keys(model, tok, r, [layer], templates, out_site) for r in requests], layer, templates)


def stack_passes(passes: list[tuple[dict[int, torch.Tensor], torch.Tensor | None]], layer: int,
                 templates: list[str]) -> tuple[torch.Tensor, torch.Tensor | None]:
    """`template_keys` results of several requests -> (averaged keys at `layer` [m, n], outputs [d, n] or None)."""
    keys = torch.stack([average_keys(k[layer], templates) for k, _ in passes], 1)
    hidden = [h for _, h in passes]
    return keys, (torch.stack(hidden, 1) if hidden[0] is not None else None)
