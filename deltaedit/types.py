"""The request and record types shared by data loaders, methods and evaluation."""
from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass(frozen=True)
class EditRequest:
    """One fact rewrite (s, r, o -> o*): `prompt` holds a single ``{}`` slot for `subject`."""
    case_id: int
    subject: str
    prompt: str
    target_new: str
    target_true: str | None = None
    relation_id: str | None = None

    @property
    def filled(self) -> str:
        return self.prompt.format(self.subject)


@dataclass(frozen=True)
class EditRecord:
    """A request plus the prompts that evaluate it (docs/scores.md).

    `neighborhood_answer` is None for CounterFact (neighbours share the true object, or the unedited
    model's own prediction is used) and the gold answer for ZsRE (the NQ answer `loc_ans`).
    """
    request: EditRequest
    dataset: str                                   # "counterfact" | "zsre"
    paraphrase_prompts: tuple[str, ...] = ()
    neighborhood_prompts: tuple[str, ...] = ()
    neighborhood_answer: str | None = None
    attribute_prompts: tuple[str, ...] = ()
    generation_prompts: tuple[str, ...] = field(default=())


@dataclass
class EditTrace:
    """Per-layer quantities of one edit for diagnostics: key k, influence α, activation β
    (Δ = α βᵀ for the locate-then-edit solvers; β is None for FT)."""
    keys: dict[int, torch.Tensor] = field(default_factory=dict)
    alphas: dict[int, torch.Tensor] = field(default_factory=dict)
    betas: dict[int, torch.Tensor] = field(default_factory=dict)
    info: dict = field(default_factory=dict)                     # per-edit log fields (JSON-able)
