"""Second-moment statistics of the keys and the null-space projector (docs/methods.md#key-statistics-c0, docs/methods.md#alphaedit).

C0 = (1/N_tok) Σ k kᵀ, uncentred, over every non-pad token of a text corpus, at the input of the MLP
output projection of each edited layer. All layers are collected in *one* pass that stops after the
deepest one. Results are cached at a path the caller gives (the model identity is part of what the
caller hashes into it: statistics of one model must never be handed to another).
"""
from __future__ import annotations

import json
import logging
import random
from pathlib import Path

import torch
from tqdm.auto import tqdm

from deltaedit.eval.scoring import pad_right
from deltaedit.hooks import Capture, StopAfter
from deltaedit.models import adapter_for, device_of, max_positions

log = logging.getLogger(__name__)


@torch.no_grad()
def second_moments(model, tok, texts: list[str], layers: list[int], max_len: int | None = None,
                   batch_size: int = 100, dtype: torch.dtype = torch.float64,
                   product_dtype: torch.dtype = torch.float64) -> tuple[dict[int, torch.Tensor], int]:
    """Streaming C0 per layer over `texts`, each truncated to `max_len` tokens (None: the model's context,
    as the references do: 1,024 for GPT-2, 8,192 for Llama3). Returns ({l: C0}, N_tok).

    Each batch's Kᵀ K is computed in `product_dtype` and added into a `dtype` total. float32 products are
    2-4x faster on a CPU and agree with float64 ones to about 1e-6 relative (tests/test_stats.py); the
    workflow keeps float64 so that its committed results stay reproducible, the command line uses float32.

    Documents go in batches of at most `batch_size`, sorted by length and split so that a padded batch
    holds at most 3 x max_len tokens (the references' sub-batches): a long-context model's batch of full
    articles would not fit in memory otherwise."""
    ad = adapter_for(model)
    sites = {l: ad.key_site(l) for l in layers}
    device = device_of(model)
    max_len = min(max_len or max_positions(model), max_positions(model))
    acc: dict[int, torch.Tensor] = {}
    n_tok = 0
    for batch in tqdm(_token_batches(_rows_by_length(tok, texts, max_len), batch_size, 3 * max_len),
                      desc="key statistics", unit="batch", leave=False):
        ids, mask = pad_right(batch, tok.pad_token_id, device)
        with Capture(model, list(sites.values()), "input") as cap, StopAfter(model, sites[max(layers)]):
            model(input_ids=ids, attention_mask=mask)
        keep = mask.bool()
        for l, site in sites.items():
            k = cap[site][keep].to(product_dtype)         # [n_tokens, m]
            acc[l] = acc.get(l, 0) + (k.T @ k).to(dtype)
        n_tok += int(keep.sum())
    if n_tok == 0:
        raise ValueError("the statistics corpus produced no tokens")
    return {l: (a / n_tok).float().cpu() for l, a in acc.items()}, n_tok


def _rows_by_length(tok, texts: list[str], max_len: int, chunk: int = 2000):
    """Token ids of every non-empty text, truncated, roughly sorted by length (texts ordered by characters,
    then by tokens within chunks) so that batches need little padding without holding every row at once."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    for c in range(0, len(order), chunk):
        ids = tok([texts[i] for i in order[c: c + chunk]], truncation=True, max_length=max_len)["input_ids"]
        yield from sorted((r for r in ids if r), key=len)


def _token_batches(rows, batch_size: int, max_tokens: int):
    """Consecutive rows (sorted by length) grouped so that each padded batch has ≤ batch_size rows and
    ≤ max_tokens padded tokens (a single longer row goes alone)."""
    batch: list[list[int]] = []
    for r in rows:
        if batch and (len(batch) == batch_size or (len(batch) + 1) * len(r) > max_tokens):
            yield batch
            batch = []
        batch.append(r)
    if batch:
        yield batch


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

    P = Û Ûᵀ projects onto the approximate null space of the preserved keys (AlphaEdit, docs/methods.md#alphaedit). C0 is
    symmetric PSD, so its eigendecomposition equals its SVD; `eigh` in fp64 is exact and deterministic."""
    evals, evecs = torch.linalg.eigh(c0.double())
    cut = threshold * evals[-1].clamp_min(0) if relative else threshold
    basis = evecs[:, evals < cut]
    if basis.shape[1] == 0:
        raise ValueError(f"null space is empty: no eigenvalue of C0 below {float(cut):.3g} "
                         f"(smallest {float(evals[0]):.3g}); raise nullspace_threshold")
    return basis.float()


def uniform_sample(n_rows: int, n_samples: int, seed: int = 0) -> list[int]:
    """Row indices of a seeded uniform sample without replacement (all rows, in order, if n_samples >= n_rows)."""
    if n_samples >= n_rows:
        return list(range(n_rows))
    return sorted(random.Random(seed).sample(range(n_rows), n_samples))


def wikipedia_texts(n_samples: int, seed: int = 0, config: str = "20231101.en", load=None) -> list[str]:
    """A seeded uniform sample of `n_samples` Wikipedia articles (hub models only; needs the network or a
    filled HF cache). The references draw a seeded random sample of the whole corpus (docs/methods.md#key-statistics-c0);
    a streaming shuffle buffer would only mix neighbouring articles, so the split is loaded (parquet, memory
    mapped) and indexed. 20200501.en is replaced by wikimedia/wikipedia, which recent `datasets` can load.
    `load` replaces `datasets.load_dataset` (tests)."""
    if load is None:
        from datasets import load_dataset as load
    ds = load("wikimedia/wikipedia", config, split="train")
    return [ds[i]["text"] for i in uniform_sample(len(ds), n_samples, seed)]


def corpus_texts(corpus: str, n_texts: int | None, seed: int = 0, model=None, tok=None, length: int | None = None):
    """C0's documents, read when called: a text file (one document per line, the first `n_texts`),
    "wikipedia" (a seeded uniform sample of `n_texts` articles, 100,000 by default as the references) or
    "self" (`model_texts` of `model`: `n_texts` samples of `length` tokens, 64 and 64 by default)."""
    if corpus == "wikipedia":
        return lambda: wikipedia_texts(n_texts or 100_000, seed=seed)
    if corpus == "self":
        if model is None or tok is None:
            raise ValueError("the corpus 'self' samples the model's own text: pass the model and its tokenizer")
        return lambda: model_texts(model, tok, n_texts or 64, length or 64, seed)
    return lambda: Path(corpus).read_text().splitlines()[:n_texts]


def model_texts(model, tok, n_texts: int = 64, length: int = 64, seed: int = 0, batch_size: int = 16) -> list[str]:
    """C0's corpus where no text exists (a fresh machine, offline): `n_texts` seeded top-k samples of the
    model's own text, `length` new tokens each, started from the five seed words of the context templates.
    Their number and length go into the statistics' metadata. The global random state is left as it was."""
    from deltaedit.core.templates import HUB_TEMPLATE_WORDS
    from deltaedit.eval.generation import continuations

    seeds = [HUB_TEMPLATE_WORDS[i % len(HUB_TEMPLATE_WORDS)] for i in range(n_texts)]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        new = continuations(model, tok, seeds, length, batch_size, do_sample=True, top_k=5, min_new_tokens=length)
    return [s + c for s, c in zip(seeds, new)]
