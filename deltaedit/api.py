"""The library API, usable without the workflow.

    model, tok = deltaedit.load_model("resources/factworld/default/models/gpt2")
    hp = deltaedit.load_hparams("alphaedit", "factworld-gpt2")
    ctx = deltaedit.make_context(model, tok, deltaedit.get_method("alphaedit"), hp, corpus=texts,
                                 stats_path="stats/gpt2.pt", model_id="factworld-gpt2")
    deltas, state = deltaedit.edit(model, tok, requests, "alphaedit", hp, ctx)
"""
from __future__ import annotations

import json
from pathlib import Path

import torch

from deltaedit.core.templates import context_templates
from deltaedit.data import write_json
from deltaedit.hparams import HParams, hparams_path
from deltaedit.methods import EditContext, EditState, get_method
from deltaedit.models import apply_deltas, restore, snapshot
from deltaedit.stats import cached_second_moments, second_moments
from deltaedit.types import EditRequest


def load_hparams(method: str, model_or_path: str | Path, overrides: dict | None = None):
    """Typed hparams of `method` from a shipped name ("gpt2-xl", "factworld-gpt2") or a YAML path, with
    `overrides` (a variant's, e.g. {"trigger": "code"}) replacing keys and checked like the file's."""
    m = get_method(method)
    p = Path(model_or_path)
    path = p if p.suffix in (".yaml", ".yml") else hparams_path(method, str(model_or_path), m.hparams_dir)
    hp = m.hparams_cls.from_yaml(path)
    if overrides:
        hp = m.hparams_cls.from_dict({**hp.to_dict(), **overrides}, f"{path} with overrides {overrides}")
    return hp


def make_context(model, tok, method, hp, corpus=None, stats_path: str | Path | None = None,
                 model_id: str | None = None, template_seed_words: list[str] | None = None, template_seed: int = 0,
                 stats_max_len: int | None = 256, templates_path: str | Path | None = None,
                 stats_meta: dict | None = None, stats_product_dtype: torch.dtype = torch.float64) -> EditContext:
    """The method's context templates (seeded samples of the model) plus the key statistics C0 it needs.

    `corpus` is a list of documents or a function returning one (read only when C0 is computed). With
    `templates_path` the templates are cached there as JSON. With `stats_path`, C0 is cached there;
    `model_id` (required then) and `stats_meta` (e.g. the corpus's name) go into the cache's metadata, so
    that one model's or corpus's statistics are never read for another. `stats_product_dtype` float32
    computes C0 2-4x faster on a CPU (deltaedit.stats.second_moments)."""
    if templates_path is not None and Path(templates_path).exists():
        templates = json.loads(Path(templates_path).read_text())
    else:
        words = template_seed_words or [tok.eos_token] * 5
        templates = context_templates(model, tok, words, method.templates, seed=template_seed)
        if templates_path is not None:
            write_json(templates, templates_path)
    ctx = EditContext(templates=templates)
    layers = method.stats_layers(hp)
    if layers:
        if corpus is None:
            raise ValueError(f"method {method.name!r} needs key statistics: pass a corpus")
        texts = corpus if callable(corpus) else (lambda: corpus)
        if stats_path is None:
            ctx.stats, _ = second_moments(model, tok, texts(), layers, max_len=stats_max_len,
                                          product_dtype=stats_product_dtype)
        else:
            if not model_id:
                raise ValueError("model_id is required with stats_path (it keys the cache)")
            meta = {"model": model_id, "n_texts": None if callable(corpus) else len(corpus), "max_len": stats_max_len,
                    **(stats_meta or {})}
            if stats_product_dtype != torch.float64:              # a cache of the other kind is not reused
                meta["products"] = str(stats_product_dtype).removeprefix("torch.")
            ctx.stats = cached_second_moments(stats_path, model, tok, texts, layers, meta, max_len=stats_max_len,
                                              product_dtype=stats_product_dtype)
    return ctx


def edit(model, tok, requests: list[EditRequest], method: str, hparams: HParams | dict, ctx: EditContext,
         state: EditState | None = None, apply: bool = True) -> tuple[dict[int, torch.Tensor], EditState]:
    """Edit `requests` one after another (each on the model the previous ones left).

    Returns the summed deltas and the method state (pass it back in to continue). With apply=False the
    model is returned to its original weights at the end."""
    m = get_method(method)
    hp = hparams if isinstance(hparams, HParams) else m.hparams_cls.from_dict(hparams)
    if state is None:
        state = m.init_state(model, hp, ctx)
    total: dict[int, torch.Tensor] = {}
    saved = snapshot(model, m.edited_layers(hp))
    for r in requests:
        deltas, _ = m.compute_deltas(model, tok, [r], hp, state, ctx)
        saved.update(snapshot(model, [k for k in deltas if k not in saved]))   # FT's bias: first seen here
        apply_deltas(model, deltas)
        for l, d in deltas.items():
            total[l] = total.get(l, 0) + d
    if not apply:
        restore(model, saved)                      # exact, no floating-point round trip
    return total, state
