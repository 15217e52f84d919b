"""Resume state of a sequential run: saved every few edits, resumed only by the same run.

    run_dir/state/     latest resume state (atomically replaced): running totals, method state, the
                       diagnostics' traces, progress; with hard links of the checkpoints so far and a copy
                       of the edit log (a workflow manager deletes a job's outputs before rerunning it; an
                       interrupted run gets them back and resumes; a finished run whose outputs were
                       deleted reruns)
"""
from __future__ import annotations

import json
import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from deltaedit.methods.base import EditState, Method
from deltaedit.models import delta_key, delta_name
from deltaedit.runner.checkpoint import atomic_dir
from deltaedit.types import EditRequest

log = logging.getLogger(__name__)


@dataclass
class RunState:
    """Everything needed to resume: running totals, method state, diagnostics, progress."""
    n_done: int
    order: list[int]
    total: dict[int, torch.Tensor]
    method_state: EditState
    diag: dict[str, list[torch.Tensor]] = field(default_factory=dict)   # "K.l", "Y.l", "B.l" -> columns


def save_state(out: Path, st: RunState, key: dict) -> None:
    """Write the resume state with the key of the run it belongs to (run_key): only the same run resumes it."""
    def write(d: Path):
        save_file({delta_name(l): t.contiguous() for l, t in st.total.items()}, d / "total.safetensors")
        save_file({k: v.contiguous() for k, v in st.method_state.tensors.items()} or {"_": torch.zeros(0)},
                  d / "method.safetensors")
        diag = {k: torch.stack(v, 1).contiguous() for k, v in st.diag.items() if v}
        save_file(diag or {"_": torch.zeros(0)}, d / "diag.safetensors")
        (d / "state.json").write_text(json.dumps({"n_done": st.n_done, "order": st.order,
                                                  "scalars": st.method_state.scalars, "key": key}))
        _keep_outputs(out, d / "outputs", st.n_done)
    atomic_dir(out / "state", write)


def _keep_outputs(out: Path, keep: Path, n_done: int) -> None:
    """The files a workflow manager declares as outputs and removes before it reruns an interrupted job
    (Snakemake deletes every declared output of a job before starting it): the checkpoints' deltas so far
    (hard links, no copy) and the edit log, so that the rerun resumes instead of starting afresh."""
    keep.mkdir()
    for f in out.glob("ckpt_*/deltas.safetensors"):
        if int(f.parent.name.split("_")[1]) <= n_done:
            try:
                os.link(f, keep / f"{f.parent.name}.safetensors")
            except OSError:                      # a file system without hard links
                shutil.copy2(f, keep / f"{f.parent.name}.safetensors")
    if (out / "edits.jsonl").exists():
        shutil.copy2(out / "edits.jsonl", keep / "edits.jsonl")


def _restore_outputs(out: Path, keep: Path) -> None:
    """Put back what _keep_outputs kept where it is missing (a checkpoint whose folder is gone stays gone)."""
    for f in keep.glob("ckpt_*.safetensors"):
        target = out / f.stem / "deltas.safetensors"
        if target.parent.is_dir() and not target.exists():
            shutil.copy2(f, target)
            log.info("restored %s from the saved state", target)
    if (keep / "edits.jsonl").exists() and not (out / "edits.jsonl").exists():
        shutil.copy2(keep / "edits.jsonl", out / "edits.jsonl")


def run_key(method: Method, hp, requests: list[EditRequest], settings) -> dict:
    """What identifies a run (method, hparams, records, order, batch): a saved state of another run is never resumed."""
    return {"method": method.name, "hparams": hp.to_dict(), "cases": [r.case_id for r in requests],
            "order_seed": settings.order_seed, "batch_size": settings.batch_size}


def load_state(out: Path, key: dict, checkpoints: list[int], device: torch.device) -> RunState | None:
    """The saved state if it belongs to this run and its checkpoints are all on disk; else None (start
    afresh: a rerun with other hparams, or one whose outputs were deleted, must not resume). The totals go
    to the model's `device`, where the run keeps them; method states and diagnostics live on the CPU."""
    d = out / "state"
    if not (d / "state.json").exists():
        return None
    meta = json.loads((d / "state.json").read_text())
    if meta.get("key") != json.loads(json.dumps(key)):
        log.warning("%s holds the state of another run (method, hparams, records or order differ): starting afresh", d)
        return None
    if meta["n_done"] < checkpoints[-1]:        # interrupted: the outputs a workflow manager removed come back
        _restore_outputs(out, d / "outputs")
    missing = [n for n in checkpoints if n <= meta["n_done"] and not (out / f"ckpt_{n}" / "deltas.safetensors").exists()]
    if missing:
        log.warning("checkpoints %s of the saved state in %s are missing: starting afresh", missing, d)
        return None
    total = {delta_key(k): v.to(device) for k, v in load_file(d / "total.safetensors").items()}
    tensors = {k: v for k, v in load_file(d / "method.safetensors").items() if k != "_"}
    diag = {k: list(v.unbind(1)) for k, v in load_file(d / "diag.safetensors").items() if k != "_"}
    return RunState(meta["n_done"], meta["order"], total, EditState(tensors, meta["scalars"]), diag)


def truncate_log(path: Path, n_done: int) -> None:
    """Drop log lines of edits that were made after the last saved state (they will be redone)."""
    if not path.exists():
        return
    keep = [line for line in path.read_text().splitlines() if line and json.loads(line)["edit"] <= n_done]
    path.write_text("".join(line + "\n" for line in keep))
