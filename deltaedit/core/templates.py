"""Context templates: short prefixes sampled from the unedited model (docs/methods.md#context-templates).

A template set is a property of the method: a tuple of (length in tokens, number of samples) pairs.
  MEMIT family (MEMIT, PRUNE, RECT, AlphaEdit, DeltaEdit): ((10, 5),)  -> "{}" + 5 prefixes of 10 tokens
  ROME (context_template_length_params [[5, 10], [10, 10]]): "{}" + 10 of 5 tokens + 10 of 10 tokens
The samples of each length are spread evenly over the seed words (5 words: 1 per word for the MEMIT
family, 2 per word and length for ROME, as in AlphaEdit's copy of ROME; the fact world seeds from EOS).
The references sample them without a seed and cache them in a module global; here they are generated
with an explicit seed and returned as data (a list of "<prefix>. {}" strings) that the caller stores.
"""
from __future__ import annotations

import torch

TemplateSet = tuple[tuple[int, int], ...]
MEMIT_TEMPLATES: TemplateSet = ((10, 5),)
ROME_TEMPLATES: TemplateSet = ((5, 10), (10, 10))


# Seed words of hub models' context templates, as the references sample them (MEMIT §3.3 / the paper, §A.1).
HUB_TEMPLATE_WORDS = ["The", "Therefore", "Because", "I", "You"]


def template_set_name(spec: TemplateSet) -> str:
    """A file-name form of a template set: ((5, 10), (10, 10)) -> "5x10-10x10"."""
    return "-".join(f"{length}x{n}" for length, n in spec)


def parse_template_set(name: str) -> TemplateSet:
    """Inverse of `template_set_name`; a malformed name is an error that names it."""
    try:
        spec = tuple(tuple(int(x) for x in part.split("x")) for part in name.split("-"))
        if not spec or any(len(p) != 2 or p[0] < 1 or p[1] < 1 for p in spec):
            raise ValueError
    except ValueError:
        raise ValueError(f"malformed template set {name!r}: expected LENGTHxCOUNT[-LENGTHxCOUNT...], e.g. 10x5") from None
    return spec


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


def context_templates(model, tok, seed_words: list[str], spec: TemplateSet = MEMIT_TEMPLATES,
                      seed: int = 0) -> list[str]:
    """["{}"] + one "<sample>. {}" per sample of `spec`, the samples of each length spread over the seed
    words in turn (n // len(words) per word, as the references do)."""
    out = ["{}"]
    for i, (length, n) in enumerate(spec):
        seeds = [seed_words[j % len(seed_words)] for j in range(n)]
        seeds.sort(key=seed_words.index)                     # word by word, as the references loop
        samples = sample_text(model, tok, seeds, length, seed=seed + i)
        out += [s.replace("{", " ").replace("}", " ").strip() + ". {}" for s in samples]
    return out
