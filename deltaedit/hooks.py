"""Small context managers over torch forward hooks, addressed by dotted module names.

``Capture`` records a module's input (e.g. the key at the MLP output projection) or output;
``EditOutput`` rewrites a module's output (e.g. adds the value-optimisation vector δ to the residual
stream). Block outputs may be tuples (GPT-2) or tensors (newer Llama); both are handled here so callers
always see the hidden-state tensor [batch, seq, d].
"""
from __future__ import annotations

from typing import Callable

import torch

from deltaedit.models import get_module


def _hidden(out):
    return out[0] if isinstance(out, tuple) else out


class Capture:
    """``with Capture(model, names, what="input") as cap: model(...)``; then ``cap[name]`` is a tensor."""

    def __init__(self, model, names: list[str], what: str = "input", detach: bool = True):
        if what not in ("input", "output"):
            raise ValueError(f"what must be 'input' or 'output', got {what!r}")
        self.model, self.names, self.what, self.detach = model, list(names), what, detach
        self.values: dict[str, torch.Tensor] = {}
        self.handles = []

    def _store(self, name, t):
        self.values[name] = t.detach() if self.detach else t

    def __enter__(self):
        for name in self.names:
            mod = get_module(self.model, name)
            if self.what == "input":
                self.handles.append(mod.register_forward_pre_hook(
                    lambda m, args, name=name: self._store(name, args[0])))
            else:
                self.handles.append(mod.register_forward_hook(
                    lambda m, args, out, name=name: self._store(name, _hidden(out))))
        return self

    def __getitem__(self, name: str) -> torch.Tensor:
        return self.values[name]

    def __exit__(self, *exc):
        for h in self.handles:
            h.remove()


class EditOutput:
    """Replace the hidden-state output of module `name` by ``fn(hidden)`` during the block."""

    def __init__(self, model, name: str, fn: Callable[[torch.Tensor], torch.Tensor]):
        self.model, self.name, self.fn = model, name, fn
        self.handle = None

    def _hook(self, mod, args, out):
        if isinstance(out, tuple):
            return (self.fn(out[0]),) + tuple(out[1:])
        return self.fn(out)

    def __enter__(self):
        self.handle = get_module(self.model, self.name).register_forward_hook(self._hook)
        return self

    def __exit__(self, *exc):
        self.handle.remove()


class StopForward(Exception):
    """Raised by a hook to end a forward pass early (covariance statistics need no later layers)."""


class StopAfter:
    def __init__(self, model, name: str):
        self.model, self.name, self.handle = model, name, None

    def _hook(self, *a):
        raise StopForward

    def __enter__(self):
        self.handle = get_module(self.model, self.name).register_forward_hook(self._hook)
        return self

    def __exit__(self, exc_type, *exc):
        self.handle.remove()
        return exc_type is StopForward


class FrozenPrefix:
    """Reuse the outputs of modules whose inputs cannot change across repeated forward passes.

    During the value optimisation δ enters at layer L*, so blocks 0..L* see the same input at every
    step; their outputs are computed once and returned from a cache afterwards (forward hooks on the
    modules — such as the one adding δ — still run). Only valid while the model input is the same.
    """

    def __init__(self, model, names: list[str]):
        self.mods = [get_module(model, n) for n in names]
        self.cache: dict[int, object] = {}

    def __enter__(self):
        for i, mod in enumerate(self.mods):
            orig = mod.forward

            def cached(*args, _i=i, _orig=orig, **kwargs):
                if _i not in self.cache:
                    self.cache[_i] = _orig(*args, **kwargs)
                return self.cache[_i]
            mod.forward = cached
        return self

    def __exit__(self, *exc):
        for mod in self.mods:
            del mod.forward          # back to the class's forward
        self.cache.clear()
