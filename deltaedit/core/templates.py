"""Context templates: short prefixes sampled from the unedited model (ALGORITHMS.md §1.1).

The references sample them without a seed and cache them in a module global; here they are generated
with an explicit seed and returned as data (a list of "<prefix>. {}" strings) that the caller stores.
"""
from __future__ import annotations

import torch


@torch.no_grad()
def sample_text(model, tok, seeds: list[str], max_len: int, top_k: int = 5, seed: int = 0) -> list[str]:
    """Top-k sampling continuation of each seed text to `max_len` tokens in total (seed included)."""
    gen = torch.Generator().manual_seed(seed)
    device = next(model.parameters()).device
    out = []
    for text in seeds:
        ids = tok(text)["input_ids"] if text != tok.eos_token else [tok.eos_token_id]
        while len(ids) < max_len:
            logits = model(input_ids=torch.tensor([ids], device=device)).logits[0, -1].float().cpu()
            top = torch.topk(logits, top_k)
            probs = torch.softmax(top.values, -1)
            ids.append(int(top.indices[torch.multinomial(probs, 1, generator=gen)]))
        out.append(tok.decode(ids, skip_special_tokens=True))
    return out


def context_templates(model, tok, seed_words: list[str], n_per_word: int = 1, max_len: int = 10,
                      seed: int = 0) -> list[str]:
    """["{}"] + one "<sample>. {}" per (seed word, sample): the MEMIT-family set (5 words x 1 sample)."""
    seeds = [w for w in seed_words for _ in range(n_per_word)]
    samples = sample_text(model, tok, seeds, max_len, seed=seed)
    cleaned = [s.replace("{", " ").replace("}", " ").strip() + ". {}" for s in samples]
    return ["{}"] + cleaned
