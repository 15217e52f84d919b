"""Forward passes of the value optimisation that recompute only what δ can change.

δ is added at the output of one module at position s_i of row i (the subject's last token). Attention is
causal, so nothing at a position before s_i depends on δ, and neither does anything in the blocks below
the add point. `SuffixForward` therefore:

1. runs the whole batch once without gradients, keeping every layer's attention keys and values
   (the HF cache), the add point's output (h_init) and the final hidden states at the positions the loss
   reads;
2. at every optimisation step feeds only the tokens s_i … end of each row, with their true positions,
   attending to the kept keys/values of positions < s_i (a 2-D mask hides the kept positions ≥ s_i, which
   the step recomputes), with the blocks below the add point served from a cache (`FrozenPrefix`);
3. applies the output embedding to the read positions only, not to every position of every row.

On the fact-world GPT-2 a prefixed rewriting prompt is ~20 tokens of which ~5 follow the subject, so a
step costs a fraction of a full pass. The result is the same function of δ as the full pass: on entry one
step-shaped pass at δ = 0 is compared with the full pass, and if they differ (a model whose cache or mask
handling does not support this) the passes fall back to whole rows, with a warning.
"""
from __future__ import annotations

import inspect
import logging

import torch
from transformers import DynamicCache

from deltaedit.hooks import Capture, EditOutput, FrozenPrefix
from deltaedit.models import adapter_for

log = logging.getLogger(__name__)


class SuffixForward:
    """``with SuffixForward(model, ids, mask, site, add_at, read_rows, read_pos) as fwd: fwd(delta)``
    returns the logits at (read_rows[j], read_pos[j]) with δ added to `site`'s output at (i, add_at[i])."""

    def __init__(self, model, ids, mask, site: str, add_at: list[int], read_rows: list[int], read_pos: list[int],
                 suffix_only: bool = True):
        self.model, self.ids, self.mask, self.site, self.suffix_only = model, ids, mask, site, suffix_only
        self.add_at = torch.tensor(add_at, device=ids.device)
        self.read_rows = torch.tensor(read_rows, device=ids.device)
        self.read_pos = torch.tensor(read_pos, device=ids.device)
        self.rows = torch.arange(len(ids), device=ids.device)
        self.base = model.base_model
        self.cache_kw = _cache_kwarg(self.base)
        self.head = model.get_output_embeddings()
        self.frozen = FrozenPrefix(model, frozen_blocks(model, site))

    def __enter__(self):
        self.kept: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}
        with torch.no_grad(), Capture(self.model, [self.site], "output") as cap:
            full = self._base(self.ids, self.mask, None, _KeepingCache(keep=self.kept))
        self.h_init = cap[self.site][self.rows, self.add_at].float()   # [n, d]
        self.frozen.__enter__()
        try:
            self._check(full[self.read_rows, self.read_pos].float())
        except BaseException:
            self.frozen.__exit__(None, None, None)   # the model's blocks get their own forward back
            raise
        return self

    def _check(self, want: torch.Tensor) -> None:
        """Use suffix-only passes if one at δ = 0 reproduces the full pass at the read positions."""
        self._use_split(self.add_at if self.suffix_only else torch.zeros_like(self.add_at))
        with torch.no_grad():
            got = self._hidden(torch.zeros_like(self.h_init[0])).float()
        tol = _tol(self.model.dtype)   # a non-finite model is left to the loss's check, which names the case
        if torch.isfinite(want).all() and not torch.allclose(got, want, rtol=tol, atol=tol * want.abs().max().item()):
            log.warning("%s: suffix-only passes differ from the full pass (max |diff| %.3g); using whole rows",
                        type(self.model).__name__, (got - want).abs().max().item())
            self._use_split(torch.zeros_like(self.add_at))

    def __exit__(self, *exc):
        self.frozen.__exit__(*exc)

    def _use_split(self, split: torch.Tensor) -> None:
        """Feed tokens split[i] … end of row i at each step (split = 0: whole rows, no cache)."""
        width = self.ids.shape[1]
        lengths = self.mask.sum(1)
        span = int((lengths - split).max())
        col = torch.arange(span, device=self.ids.device)
        src = (split[:, None] + col).clamp(max=width - 1)
        real = split[:, None] + col < lengths[:, None]
        self.step_ids = torch.where(real, self.ids.gather(1, src), self.ids[0, 0])
        self.step_pos = torch.where(real, split[:, None] + col, 0)
        self.use_cache = bool(split.any())
        kept = torch.arange(width, device=self.ids.device)[None, :] < split[:, None]
        self.step_mask = torch.cat([kept, real], 1).long() if self.use_cache else real.long()
        self.step_add = self.add_at - split
        self.step_read = self.read_pos - split[self.read_rows]
        self.frozen.cache.clear()                 # the blocks below the add point see a new input

    def _base(self, ids, mask, pos, cache):
        kw = {self.cache_kw: cache} if cache is not None else {}
        return self.base(input_ids=ids, attention_mask=mask, position_ids=pos, use_cache=cache is not None,
                         **kw).last_hidden_state

    def _hidden(self, delta: torch.Tensor) -> torch.Tensor:
        def add(h):
            h = h.clone()
            h[self.rows, self.step_add] = h[self.rows, self.step_add] + delta.to(h.dtype)
            return h
        cache = _KeepingCache(start=self.kept) if self.use_cache else None   # a fresh one: a step appends to it
        with EditOutput(self.model, self.site, add):
            out = self._base(self.step_ids, self.step_mask, self.step_pos, cache)
        return out[self.read_rows, self.step_read]

    def __call__(self, delta: torch.Tensor) -> torch.Tensor:
        return self.head(self._hidden(delta))


class _KeepingCache(DynamicCache):
    """A `DynamicCache` that records each layer's keys/values in `keep` when they are first added (through
    the public `update`, so no cache internals are read); `start` pre-fills it."""

    def __init__(self, keep: dict | None = None, start: dict | None = None):
        super().__init__()
        self.keep = keep
        for layer, (k, v) in sorted((start or {}).items()):
            super().update(k, v, layer)

    def update(self, key_states, value_states, layer_idx, *args, **kwargs):
        if self.keep is not None and layer_idx not in self.keep:
            self.keep[layer_idx] = (key_states, value_states)
        return super().update(key_states, value_states, layer_idx, *args, **kwargs)


def frozen_blocks(model, site: str) -> list[str]:
    """Blocks whose output does not depend on δ added at `site`: every block below the site's layer,
    and the site's own block when δ is added to that block's output."""
    ad = adapter_for(model)
    layer = ad.layer_of(model, site)
    return [ad.block(i) for i in range(layer + (site == ad.block(layer)))]


def _tol(dtype: torch.dtype) -> float:
    return 1e-4 if dtype in (torch.float32, torch.float64) else 2e-2


def _cache_kwarg(base) -> str:
    """transformers 5 names the cache argument `cache` (`past_key_values` before)."""
    return "cache" if "cache" in inspect.signature(base.forward).parameters else "past_key_values"
