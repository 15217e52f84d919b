"""Batched teacher-forced scoring of target continuations — the one primitive every metric uses.

For a prompt x and target tokens t_1..t_n, one forward pass over [x, t_1..t_{n-1}] (right padded, many
pairs per batch) gives, at position |x|-1+j, the distribution of t_j (docs/scores.md#counterfact):
  * the per-token mean NLL  −(1/n) Σ_j log p(t_j | x, t_<j)       ("larger" metrics, eq. 28–30)
  * whether every t_j is the argmax                                ("top" metrics, eq. 25–27)
  * the per-token 0/1 argmax hits                                  (ZsRE token accuracy, docs/scores.md#zsre)
Targets are token ids (tokenised with a leading space and without special tokens) and prompts are
tokenised with the tokenizer's own special tokens, so a BOS-adding tokenizer is handled.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class TargetScore:
    nll: float                 # mean negative log-likelihood per target token
    top: bool                  # every target token is the argmax
    hits: tuple[int, ...]      # per-token argmax hits
    argmax: tuple[int, ...]    # the argmax token at each target position


def target_ids(tok, text: str) -> list[int]:
    """Token ids of a continuation: a leading space, no special tokens (docs/methods.md#conventions, docs/scores.md#zsre)."""
    ids = tok(" " + text.strip(), add_special_tokens=False)["input_ids"]
    if not ids:
        raise ValueError(f"target {text!r} tokenises to nothing")
    return ids


def prompt_ids(tok, text: str) -> list[int]:
    return tok(text)["input_ids"]


def pad_right(rows: list[list[int]], pad: int, device=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-padded ids and attention mask [n, max_len] (docs/methods.md#conventions: padding on the right)."""
    width = max(map(len, rows))
    ids = torch.full((len(rows), width), pad, dtype=torch.long)
    mask = torch.zeros_like(ids)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = torch.tensor(r, dtype=torch.long)
        mask[i, : len(r)] = 1
    return ids.to(device), mask.to(device)


@torch.no_grad()
def score_targets(model, tok, prompts: list[list[int]], targets: list[list[int]],
                  batch_size: int = 64) -> list[TargetScore]:
    """Score each (prompt ids, target ids) pair.

    A pair needs one forward pass over its row [x, t_1..t_{n-1}], and a causal model's logits at a position
    depend only on the tokens up to it, so pairs with the same row share one pass: CounterFact's
    new/true pairs of a single-token target are one row, which halves the passes of its metrics. The
    distinct rows are batched shortest first (right padded), so a batch pads to a similar length."""
    if len(prompts) != len(targets):
        raise ValueError(f"{len(prompts)} prompts but {len(targets)} targets")
    device = next(model.parameters()).device
    pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
    users: dict[tuple[int, ...], list[int]] = {}          # row -> the pairs it scores
    for k, (p, t) in enumerate(zip(prompts, targets)):
        users.setdefault(tuple(p) + tuple(t[:-1]), []).append(k)
    rows = sorted(users, key=len)
    out: list[TargetScore | None] = [None] * len(prompts)
    for b in range(0, len(rows), batch_size):
        batch = rows[b: b + batch_size]
        ids, mask = pad_right([list(r) for r in batch], pad, device)
        logp = torch.log_softmax(model(input_ids=ids, attention_mask=mask).logits.float(), -1)
        for i, row in enumerate(batch):
            for k in users[row]:
                out[k] = _score(logp[i], len(prompts[k]), targets[k], device)
    return out


def _score(logp: torch.Tensor, n_prompt: int, t: list[int], device) -> TargetScore:
    """The score of target t after a prompt of n_prompt tokens, from its row's log-probabilities."""
    rows = logp[n_prompt - 1: n_prompt - 1 + len(t)]
    tt = torch.tensor(t, device=device)
    nll = -rows.gather(1, tt[:, None]).mean().item()
    am = rows.argmax(-1)
    hits = (am == tt).long().tolist()
    return TargetScore(nll, all(hits), tuple(hits), tuple(am.tolist()))


@torch.no_grad()
def greedy_tokens(model, tok, prompts: list[list[int]], n_tokens: list[int], batch_size: int = 64) -> list[list[int]]:
    """Greedy continuation of each prompt for n_tokens[i] steps (batched, right padded, no sampling).

    Used to record the *unedited* model's own prediction o^c for the specificity metrics (the paper, §A.2:
    "we recalculated the actual o^c from the model")."""
    out = [list() for _ in prompts]
    cur = [list(p) for p in prompts]
    for step in range(max(n_tokens, default=0)):
        active = [i for i in range(len(prompts)) if len(out[i]) < n_tokens[i]]
        if not active:
            break
        dummy = [[0] for _ in active]   # score_targets needs a target; only the argmax at its position is used
        scores = score_targets(model, tok, [cur[i] for i in active], dummy, batch_size)
        for i, s in zip(active, scores):
            out[i].append(s.argmax[0])
            cur[i].append(s.argmax[0])
    return out


def target_probability(model, tok, req) -> float:
    """p(o* | prompt) of an edit request: the geometric mean over the new object's tokens."""
    s = score_targets(model, tok, [prompt_ids(tok, req.filled)], [target_ids(tok, req.target_new)])[0]
    return float(torch.exp(torch.tensor(-s.nll)))
