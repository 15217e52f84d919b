"""The workflow's jobs as plain functions (each Snakemake script calls exactly one of them).

Every path is an argument; the artifact contract between jobs is:
  templates JSON   ["{}", "<prefix>. {}", ...]                      (context templates of one model)
  stats .pt        {"mom2": {layer: C0}, "meta": ...}                (deltaedit.stats)
  reference JSON   {case_id: [[token ids] per neighbourhood prompt]} (the unedited model's o^c)
  run directory    ckpt_<n>/{deltas.safetensors, diagnostics.json, edited.json}, edits.jsonl
  score JSON       {"summary": {metric: {mean, ci_low, ci_high, n}}, "records": [...], "diagnostics": {...}}
A method wrapped from other code only has to write the run directory's checkpoint files.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

import torch

from deltaedit.api import load_hparams
from deltaedit.core.templates import context_templates
from deltaedit.data import load_records
from deltaedit.eval.metrics import CF_METRICS, ZSRE_METRICS, score_records, unedited_predictions
from deltaedit.eval.summary import summarize
from deltaedit.factworld.records import write_json
from deltaedit.methods import EditContext, get_method
from deltaedit.models import applied, load_model
from deltaedit.runner import RunSettings, load_deltas, run_sequential
from deltaedit.stats import cached_second_moments, load_second_moments, wikipedia_texts

log = logging.getLogger(__name__)
HUB_TEMPLATE_WORDS = ["The", "Therefore", "Because", "I", "You"]   # ALGORITHMS.md §1.1


def device() -> torch.device:
    """The machine's accelerator if it has one (CUDA, MPS, ...), else the CPU."""
    if torch.accelerator.is_available():
        return torch.accelerator.current_accelerator()
    return torch.device("cpu")


def templates_job(model_path: str, out_json: str, seed_words: list[str] | None, seed: int = 0) -> None:
    model, tok = load_model(model_path, device=device())
    words = seed_words or [tok.eos_token] * 5
    write_json(context_templates(model, tok, words, seed=seed), out_json)


def stats_job(model_path: str, model_id: str, layers: list[int], out: str, corpus: str, n_texts: int,
              max_len: int) -> None:
    """C0 for `layers`; `corpus` is a text file (one document per line) or "wikipedia"."""
    model, tok = load_model(model_path, device=device())
    if corpus == "wikipedia":
        texts = lambda: wikipedia_texts(n_texts)
    else:
        texts = lambda: Path(corpus).read_text().splitlines()[:n_texts]
    cached_second_moments(out, model, tok, texts, layers,
                          {"model": model_id, "corpus": corpus, "n_texts": n_texts, "max_len": max_len}, max_len=max_len)


def reference_job(model_path: str, records_path: str, dataset: str, n: int, out_json: str) -> None:
    model, tok = load_model(model_path, device=device())
    records = load_records(records_path, dataset, limit=n, on_invalid="skip")
    write_json({str(k): v for k, v in unedited_predictions(model, tok, records).items()}, out_json)


def edit_job(model_path: str, records_path: str, dataset: str, method: str, hparams: str, templates_json: str,
             stats_path: str | None, out_dir: str, checkpoints: list[int], order_seed: int | None,
             batch_size: int = 1) -> None:
    model, tok = load_model(model_path, device=device())
    m = get_method(method)
    hp = load_hparams(method, hparams)
    records = load_records(records_path, dataset, limit=checkpoints[-1], on_invalid="skip")
    stats = load_second_moments(stats_path)[0] if m.stats_layers(hp) else {}
    ctx = EditContext(json.loads(Path(templates_json).read_text()), stats)
    run_sequential(model, tok, m, hp, ctx, [r.request for r in records], out_dir,
                   RunSettings(checkpoints, batch_size=batch_size, order_seed=order_seed))


def score_job(model_path: str, records_path: str, dataset: str, ckpt_dir: str, reference_json: str | None,
              out_json: str) -> None:
    """Score the records edited up to this checkpoint on base model + checkpoint deltas."""
    model, tok = load_model(model_path, device=device())
    ckpt = Path(ckpt_dir)
    edited = json.loads((ckpt / "edited.json").read_text())
    by_id = {r.request.case_id: r for r in load_records(records_path, dataset, on_invalid="skip")}
    records = [by_id[c] for c in edited]
    reference = None
    if reference_json and dataset == "counterfact":
        reference = {int(k): v for k, v in json.loads(Path(reference_json).read_text()).items()}
    with applied(model, load_deltas(ckpt / "deltas.safetensors")):
        rows = score_records(model, tok, records, reference)
    metrics = CF_METRICS if dataset == "counterfact" else ZSRE_METRICS
    write_json({"n_edits": len(edited), "summary": summarize(rows, metrics), "records": rows,
                "diagnostics": json.loads((ckpt / "diagnostics.json").read_text())}, out_json)
