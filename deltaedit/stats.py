"""Second-moment statistics of the keys and the null-space projector (ALGORITHMS.md §1.4, §5.1).

C0 = (1/N_tok) Σ k kᵀ, uncentred, over every non-pad token of a text corpus, at the input of the MLP
output projection of each edited layer. All layers are collected in *one* pass that stops after the
deepest one. Results are cached at a path the caller gives (the model identity is part of what the
caller hashes into it: statistics of one model must never be handed to another).
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

import torch
from tqdm.auto import tqdm

from deltaedit.hooks import Capture, StopAfter
from deltaedit.models import adapter_for, device_of, max_positions

log = logging.getLogger(__name__)


@torch.no_grad()
def second_moments(model, tok, texts: list[str], layers: list[int], max_len: int = 256, batch_size: int = 16,
                   dtype: torch.dtype = torch.float64) -> tuple[dict[int, torch.Tensor], int]:
    """Streaming C0 per layer over `texts` (each truncated to `max_len` tokens). Returns ({l: C0}, N_tok)."""
    ad = adapter_for(model)
    sites = {l: ad.key_site(l) for l in layers}
    device = device_of(model)
    max_len = min(max_len, max_positions(model))
    acc: dict[int, torch.Tensor] = {}
    n_tok = 0
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))   # similar lengths -> little padding
    for b in tqdm(range(0, len(texts), batch_size), desc="key statistics", unit="batch", leave=False):
        batch = [texts[i] for i in order[b: b + batch_size]]
        enc = tok(batch, return_tensors="pt", padding=True, truncation=True, max_length=max_len)
        mask = enc["attention_mask"].to(device).bool()
        with Capture(model, list(sites.values()), "input") as cap, StopAfter(model, sites[max(layers)]):
            model(input_ids=enc["input_ids"].to(device), attention_mask=enc["attention_mask"].to(device))
        for l, site in sites.items():
            k = cap[site][mask].to(dtype)                 # [n_tokens, m]
            acc[l] = acc.get(l, 0) + k.T @ k
        n_tok += int(mask.sum())
    if n_tok == 0:
        raise ValueError("the statistics corpus produced no tokens")
    return {l: (a / n_tok).float().cpu() for l, a in acc.items()}, n_tok


def cached_second_moments(path: str | Path, model, tok, texts_fn, layers: list[int], meta: dict, **kw):
    """Load C0 from `path` (a .pt file) if it exists and its metadata matches `meta`; else compute
    with ``texts_fn()`` and write it atomically. `meta` must identify the model, corpus and settings."""
    path = Path(path)
    if path.exists():
        mom2, stored = load_second_moments(path)
        if stored != {**meta, "layers": sorted(layers)}:
            raise ValueError(f"statistics cache {path} was made with other settings: {stored} vs {meta}")
        return mom2
    mom2, n_tok = second_moments(model, tok, texts_fn(), layers, **kw)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save({"mom2": {str(l): c for l, c in mom2.items()}, "n_tokens": n_tok,
                "meta": json.dumps({**meta, "layers": sorted(layers)})}, tmp)
    tmp.replace(path)
    log.info("wrote key statistics for layers %s over %d tokens to %s", layers, n_tok, path)
    return mom2


def load_second_moments(path: str | Path) -> tuple[dict[int, torch.Tensor], dict]:
    """({layer: C0}, metadata) from a file written by `cached_second_moments`."""
    blob = torch.load(path, weights_only=True)
    return {int(k): v for k, v in blob["mom2"].items()}, json.loads(blob["meta"])


def null_space_basis(c0: torch.Tensor, threshold: float, relative: bool = False) -> torch.Tensor:
    """Û [m, r]: eigenvectors of C0 with eigenvalue < threshold (x λ_max when `relative`).

    P = Û Ûᵀ projects onto the approximate null space of the preserved keys (AlphaEdit, §5.1). C0 is
    symmetric PSD, so its eigendecomposition equals its SVD; `eigh` in fp64 is exact and deterministic."""
    evals, evecs = torch.linalg.eigh(c0.double())
    cut = threshold * evals[-1].clamp_min(0) if relative else threshold
    basis = evecs[:, evals < cut]
    if basis.shape[1] == 0:
        raise ValueError(f"null space is empty: no eigenvalue of C0 below {float(cut):.3g} "
                         f"(smallest {float(evals[0]):.3g}); raise nullspace_threshold")
    return basis.float()


def wikipedia_texts(n_samples: int, seed: int = 0, config: str = "20231101.en") -> list[str]:
    """A seeded sample of `n_samples` Wikipedia articles through `datasets` (needs the network; hub
    models only — ALGORITHMS.md §1.4 explains why 20200501.en is replaced by wikimedia/wikipedia)."""
    from datasets import load_dataset
    ds = load_dataset("wikimedia/wikipedia", config, split="train", streaming=True)
    ds = ds.shuffle(seed=seed, buffer_size=10_000)
    return [row["text"] for _, row in zip(range(n_samples), ds)]
