"""Target-value optimisation z* (docs/methods.md#the-target-value-z) — the one copy every method uses.

A free vector δ ∈ R^d is added to the output of a module (the block output of layer L* for the
MEMIT family, the MLP output for ROME) at the subject's last token of every prompt, and optimised
with Adam so that the model predicts the new target after each context template, while a KL term keeps
the "{subject} is a" distribution and a weight-decay term and a norm clamp keep δ small.
Gradients are taken with ``torch.autograd.grad`` w.r.t. δ only, so the model's parameters never
receive ``.grad`` and the model is left exactly as it was.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import torch

from deltaedit.eval.scoring import pad_right, prompt_ids, target_ids
from deltaedit.core.suffix import SuffixForward
from deltaedit.models import device_of, weight_shape
from deltaedit.types import EditRequest


@dataclass(frozen=True)
class ValueConfig:
    v_lr: float = 0.5
    v_num_grad_steps: int = 20
    clamp_norm_factor: float = 4.0
    kl_factor: float = 0.0625
    v_weight_decay: float = 0.5
    early_stop_loss: float = 5e-2          # stop when the total loss falls below this
    early_stop_prob: float | None = None   # DeltaEdit: also stop when mean target prob exceeds this
    kl_prompt: str = "{} is a"
    # ENCORE's most-probable early stopping (docs/methods.md#encore): stop at the `mpes_patience`-th step at
    # which every target token is the argmax after every rewriting prompt; None: never
    mpes_patience: int | None = None


@dataclass
class ValueResult:
    target: torch.Tensor      # z* = h_init + δ, [d]
    delta: torch.Tensor       # δ, [d]
    h_init: torch.Tensor      # pre-edit value at the add point for the plain prompt, [d]
    prob_before: float        # mean target probability over rewriting prompts, before / after
    prob_after: float
    steps: int
    seconds: float = 0.0      # wall time of the optimisation loop (the benchmark reports its share)


def subject_last_index(tok, template: str, request: EditRequest) -> int:
    """Index of the subject's last token in ``template.format(request.filled)`` (docs/methods.md#conventions)."""
    head = request.prompt[: request.prompt.index("{}")] + request.subject
    return len(tok(template.format(head))["input_ids"]) - 1


def build_prompts(tok, request: EditRequest, templates: list[str], kl_prompt: str):
    """Rewriting prompts (template ∘ prompt ∘ target[:-1]) plus one KL prompt, as token ids.

    Returns (ids per row, subject-last index per row, prompt length per row, target ids)."""
    tgt = target_ids(tok, request.target_new)
    rows, lookups, plens = [], [], []
    for t in templates:
        p = prompt_ids(tok, t.format(request.filled))
        rows.append(p + tgt[:-1])
        lookups.append(subject_last_index(tok, t, request))
        plens.append(len(p))
    kl_req = EditRequest(request.case_id, request.subject, kl_prompt, request.target_new)
    rows.append(prompt_ids(tok, kl_req.filled))
    lookups.append(subject_last_index(tok, "{}", kl_req))
    plens.append(len(rows[-1]))
    return rows, lookups, plens, tgt


def optimise_value(model, tok, request: EditRequest, site: str, templates: list[str], cfg: ValueConfig,
                   project: Callable[[torch.Tensor], torch.Tensor] | None = None) -> ValueResult:
    """Optimise δ at the output of module `site`; `project`, if given, is applied to δ after every
    Adam step (DeltaEdit's constraint on α, Algorithm 1)."""
    device = device_of(model)
    rows, lookups, plens, tgt = build_prompts(tok, request, templates, cfg.kl_prompt)
    ids, mask = pad_right(rows, tok.pad_token_id, device)
    n_rw, n_tgt = len(templates), len(tgt)
    # the logits the loss reads: target token j of rewriting row i at plens[i] - 1 + j, then the KL row's
    # next-token distribution at the subject's last token
    read_rows = [i for i in range(n_rw) for _ in range(n_tgt)] + [n_rw]
    read_pos = [plens[i] - 1 + j for i in range(n_rw) for j in range(n_tgt)] + [lookups[-1]]
    tids = torch.tensor(tgt, device=device).repeat(n_rw)

    d = weight_shape(model, 0)[0]                  # the residual-stream width, from the adapter
    delta = torch.zeros(d, device=device, dtype=torch.float32, requires_grad=True)
    opt = torch.optim.Adam([delta], lr=cfg.v_lr)

    t0 = time.perf_counter()
    with SuffixForward(model, ids, mask, site, lookups, read_rows, read_pos) as fwd:
        def forward():
            logp = torch.log_softmax(fwd(delta).float(), -1)
            nll_rows = -logp[:-1].gather(1, tids[:, None]).view(n_rw, n_tgt).mean(1)
            return nll_rows, logp[-1], bool((logp[:-1].argmax(-1) == tids).all())
        res = _optimise(forward, delta, opt, fwd.h_init[0], cfg, request, project)
    res.seconds = time.perf_counter() - t0
    return res


def _optimise(forward, delta, opt, h_init, cfg: ValueConfig, request: EditRequest, project) -> ValueResult:
    prob_before = prob_after = 0.0
    steps = most_probable = 0
    kl_init = None
    h_norm = h_init.norm()
    for it in range(cfg.v_num_grad_steps):
        nll_rows, kl_lp, all_argmax = forward()
        most_probable += all_argmax
        if kl_init is None:
            kl_init = kl_lp.detach().clone()
        kl = torch.sum(kl_lp.exp() * (kl_lp - kl_init))
        loss = nll_rows.mean() + cfg.kl_factor * kl + cfg.v_weight_decay * delta.norm() / h_norm ** 2
        if not torch.isfinite(loss):
            raise FloatingPointError(f"value optimisation for case {request.case_id} produced a non-finite loss")
        mean_prob = torch.exp(-nll_rows).mean().item()
        if it == 0:
            prob_before = mean_prob
        prob_after = mean_prob
        if loss.item() < cfg.early_stop_loss or (cfg.early_stop_prob is not None and mean_prob > cfg.early_stop_prob):
            break
        if cfg.mpes_patience is not None and most_probable >= cfg.mpes_patience:
            break
        if it == cfg.v_num_grad_steps - 1:
            break
        (grad,) = torch.autograd.grad(loss, [delta])
        delta.grad = grad
        opt.step()
        steps += 1
        with torch.no_grad():
            if project is not None:
                delta.copy_(project(delta))
            max_norm = cfg.clamp_norm_factor * h_norm
            if delta.norm() > max_norm:
                delta.mul_(max_norm / delta.norm())
    return ValueResult(h_init + delta.detach(), delta.detach().clone(), h_init, prob_before, prob_after, steps)
