"""The checkpoint contract of a sequential run, written atomically and read back.

    run_dir/ckpt_<n>/deltas.safetensors    the deltas to evaluate after n edits ("layer.<l>" -> [d, m])
    run_dir/ckpt_<n>/diagnostics.json      noise_E and mean kᵀβ per edited layer (the paper's eq. 12-15)
    run_dir/ckpt_<n>/edited.json           case_ids edited so far, in order

A method wrapped from other code (a rule of its own, docs/architecture.md) only has to write these.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from deltaedit.models import delta_key, delta_name

log = logging.getLogger(__name__)


def atomic_dir(final: Path, write) -> None:
    """Fill a fresh folder with `write(folder)`, then put it in place of `final` in one rename."""
    tmp = final.with_name(final.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    write(tmp)
    old = final.with_name(final.name + ".old")
    if final.exists():
        os.replace(final, old)
    os.replace(tmp, final)
    shutil.rmtree(old, ignore_errors=True)


def write_checkpoint(run_dir: str | Path, n_done: int, deltas: dict[int, torch.Tensor], edited_case_ids: list[int],
                     diagnostics: dict) -> None:
    """The checkpoint contract, written atomically: run_dir/ckpt_<n>/deltas.safetensors ({"layer.<l>": Δ [d, m]}
    in the math orientation), diagnostics.json ({"noise_E": {layer: value}, "mean_k_beta": {...}} or {}), and
    edited.json (the case ids edited so far, in edit order). A method wrapped from other code writes these."""
    def write(d: Path):
        save_file({delta_name(l): t.float().cpu().contiguous() for l, t in deltas.items()}, d / "deltas.safetensors")
        (d / "diagnostics.json").write_text(json.dumps(diagnostics, indent=1))
        (d / "edited.json").write_text(json.dumps(list(edited_case_ids)))
    atomic_dir(Path(run_dir) / f"ckpt_{n_done}", write)
    log.info("checkpoint after %d edits written", n_done)


def read_checkpoint(ckpt_dir: str | Path) -> tuple[dict[int, torch.Tensor], list[int], dict]:
    """The checkpoint contract read back: (deltas, edited case ids in edit order, diagnostics)."""
    d = Path(ckpt_dir)
    return (load_deltas(d / "deltas.safetensors"), json.loads((d / "edited.json").read_text()),
            json.loads((d / "diagnostics.json").read_text()))


def load_deltas(path: str | Path) -> dict[int, torch.Tensor]:
    """Read a checkpoint's deltas.safetensors back into {layer: Δ [d, m]}."""
    return {delta_key(k): v for k, v in load_file(str(path)).items()}
