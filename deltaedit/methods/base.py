"""The method interface, the explicit sequential state, and the registry.

A method computes deltas for a batch of requests on the current model and leaves the model as it
found it; only `deltaedit.models.apply_deltas` writes weights. Everything a method carries from one edit
to the next lives in an `EditState` (named tensors + JSON-able scalars) that the runner saves and
restores — no globals, no module-level caches.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field

import torch

from deltaedit.core.templates import MEMIT_TEMPLATES, TemplateSet
from deltaedit.hparams import HParams
from deltaedit.types import EditRequest, EditTrace


@dataclass
class EditState:
    tensors: dict[str, torch.Tensor] = field(default_factory=dict)
    scalars: dict = field(default_factory=dict)


@dataclass
class EditContext:
    """What every method may read besides the model: context templates, key statistics, and the run's requests
    (the runner fills them in; NAS samples its norm anchor from them, docs/methods.md#nas)."""
    templates: list[str]                                         # ["{}", "<prefix>. {}", ...]
    stats: dict[int, torch.Tensor] = field(default_factory=dict)  # C0 per layer (m×m), as needed
    requests: list[EditRequest] = field(default_factory=list)


class Method:
    """Subclass, set `name` and `hparams_cls`, implement `compute_deltas`; register with @register.

    `hparams_dir` is where `<hparams_dir>/<name>.yaml` files live; None means the shipped
    deltaedit/hparams/<method>/ (a method from outside the package points at its own folder).
    `templates` is the method's context-template set (deltaedit.core.templates): the workflow samples
    and caches one file per model and template set, and hands the method that set in `EditContext`."""
    name: str = ""
    hparams_cls: type[HParams] = HParams
    hparams_dir: str | None = None
    templates: TemplateSet = MEMIT_TEMPLATES
    beyond_paper: bool = False      # a method the paper does not compare (deltaedit methods marks it)

    def edited_layers(self, hp) -> list[int]:
        return list(hp.layers)

    def stats_layers(self, hp) -> list[int]:
        """Layers whose key statistics C0 this method needs (none by default)."""
        return []

    def init_state(self, model, hp, ctx: EditContext) -> EditState:
        return EditState()

    def compute_deltas(self, model, tok, requests: list[EditRequest], hp, state: EditState,
                       ctx: EditContext) -> tuple[dict[int, torch.Tensor], EditTrace]:
        raise NotImplementedError

    def finalize(self, model, total: dict[int, torch.Tensor], hp, state: EditState) -> dict[int, torch.Tensor]:
        """Deltas to evaluate at a checkpoint, from the running total (PRUNE restrains here)."""
        return total


METHODS: dict[str, Method] = {}


def register(cls: type[Method]) -> type[Method]:
    if not cls.name:
        raise ValueError(f"{cls.__name__} has no name")
    METHODS[cls.name] = cls()
    return cls


def get_method(name: str) -> Method:
    if name not in METHODS:
        close = difflib.get_close_matches(name, METHODS, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"unknown method {name!r}{hint} (registered: {', '.join(sorted(METHODS))})")
    return METHODS[name]


def list_methods() -> list[str]:
    return list(METHODS)


def load_method_modules(paths) -> list[str]:
    """Import method modules from files (the workflow's `method_modules`), which register themselves;
    returns the names that became registered. A missing file or a module that registers nothing is an error."""
    import importlib.util
    from pathlib import Path

    new = []
    for path in map(Path, paths):
        if not path.is_file():
            raise FileNotFoundError(f"method module {path} does not exist")
        before = dict(METHODS)
        spec = importlib.util.spec_from_file_location(f"deltaedit_plugin_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        added = sorted(n for n, m in METHODS.items() if before.get(n) is not m)   # @register makes a new instance
        if not added:
            raise ValueError(f"method module {path} registered no method (decorate its class with @register)")
        new += added
    return new

