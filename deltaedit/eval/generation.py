"""Generation-based efficacy: does the model *say* the new object? (This project's addition beside the
paper's teacher-forced metrics; in the spirit of the "WILD" evaluation of Yang et al., ACL 2025.)

Teacher forcing asks whether the target's tokens are the argmax (or more likely than the old object's)
when the target itself is fed in; generation asks what the model writes on its own. Here: greedy decoding
of at most `max_new_tokens` tokens after the prompt, stopped at end-of-sequence and cut at the first
period or newline; a hit when the continuation begins with the target, compared case-insensitively with
surrounding and repeated white space ignored, and ending at a word boundary ("English" does not hit
"Englishman").
"""
from __future__ import annotations

import re

import torch

from deltaedit.models import device_of

MAX_NEW_TOKENS = 20


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def continuation_hits(continuation: str, target: str) -> bool:
    """Whether `continuation` (cut at its first period or newline) begins with `target`, at a word boundary."""
    c, t = normalise(re.split(r"[.\n]", continuation, maxsplit=1)[0]), normalise(target)
    return bool(t) and c.startswith(t) and (len(c) == len(t) or not c[len(t)].isalnum())


@torch.no_grad()
def continuations(model, tok, prompts: list[str], max_new_tokens: int = MAX_NEW_TOKENS, batch_size: int = 16,
                  **sampling) -> list[str]:
    """The text each prompt is continued with: greedy, or as `sampling` (generate's options, e.g. do_sample,
    top_k) says. Left-padded batches; the tokenizer's padding side is restored."""
    side, tok.padding_side = tok.padding_side, "left"
    out = []
    try:
        for i in range(0, len(prompts), batch_size):
            enc = tok(prompts[i: i + batch_size], return_tensors="pt", padding=True).to(device_of(model))
            ids = model.generate(**enc, max_new_tokens=max_new_tokens, pad_token_id=tok.pad_token_id,
                                 **{"do_sample": False, **sampling})
            out += tok.batch_decode(ids[:, enc["input_ids"].shape[1]:], skip_special_tokens=True)
    finally:
        tok.padding_side = side
    return out


def generation_hits(model, tok, prompts: list[str], targets: list[str], max_new_tokens: int = MAX_NEW_TOKENS) -> list[bool]:
    """One hit (True/False) per (prompt, target) pair."""
    if len(prompts) != len(targets):
        raise ValueError(f"one target per prompt: {len(prompts)} prompts, {len(targets)} targets")
    return [continuation_hits(c, t) for c, t in zip(continuations(model, tok, prompts, max_new_tokens), targets)]
