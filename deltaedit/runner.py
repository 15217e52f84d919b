"""Sequential editing with checkpoints and exact resume (ALGORITHMS.md §11).

Requests are edited `batch_size` at a time in a seeded order, each on the model as the previous edits
left it. The edited weights are always W0 + total (total = Σ Δ in fp32), never a chain of in-place
additions, so a run resumed from a saved total reproduces the uninterrupted weights bit for bit.

Output directory layout:
    state/                         latest resume state (atomically replaced), with hard links of the
                                   checkpoints so far and a copy of the edit log (a workflow manager
                                   deletes a job's outputs before rerunning it; an interrupted run gets
                                   them back and resumes; a finished run whose outputs were deleted reruns)
    ckpt_<n>/deltas.safetensors    the deltas to evaluate after n edits ("layer.<l>" -> [d, m])
    ckpt_<n>/diagnostics.json      noise_E and mean kᵀβ per edited layer (eqs. 12–15)
    ckpt_<n>/edited.json           case_ids edited so far, in order
    edits.jsonl                    one line per edit: seconds, noise, target probability before/after, ...
"""
from __future__ import annotations

import ctypes
import json
import logging
import os
import random
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from tqdm.auto import tqdm

from deltaedit.diagnostics import diag_k_beta, mean_k_beta, noise_E
from deltaedit.eval.scoring import prompt_ids, score_targets, target_ids
from deltaedit.methods.base import EditContext, EditState, Method
from deltaedit.models import add_delta, delta_key, delta_name, device_of, restore, snapshot
from deltaedit.types import EditRequest

log = logging.getLogger(__name__)


@dataclass
class RunSettings:
    checkpoints: list[int]
    batch_size: int = 1
    order_seed: int | None = 0          # None: file order
    save_every: int = 50                # resume state also every this many edits

    def __post_init__(self):
        if not self.checkpoints or sorted(set(self.checkpoints)) != list(self.checkpoints) or self.checkpoints[0] < 1:
            raise ValueError(f"checkpoints must be a non-empty increasing list of positive counts, got {self.checkpoints}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")


@dataclass
class RunState:
    """Everything needed to resume: running totals, method state, diagnostics, progress."""
    n_done: int
    order: list[int]
    total: dict[int, torch.Tensor]
    method_state: EditState
    diag: dict[str, list[torch.Tensor]] = field(default_factory=dict)   # "K.l", "Y.l", "B.l" -> columns


def _atomic_dir(final: Path, write) -> None:
    tmp = final.with_name(final.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    write(tmp)
    old = final.with_name(final.name + ".old")
    if final.exists():
        os.replace(final, old)
    os.replace(tmp, final)
    shutil.rmtree(old, ignore_errors=True)


def _save_state(out: Path, st: RunState, key: dict) -> None:
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
    _atomic_dir(out / "state", write)


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


def run_key(method: Method, hp, requests: list[EditRequest], settings: RunSettings) -> dict:
    return {"method": method.name, "hparams": hp.to_dict(), "cases": [r.case_id for r in requests],
            "order_seed": settings.order_seed, "batch_size": settings.batch_size}


def _load_state(out: Path, key: dict, checkpoints: list[int], device: torch.device) -> RunState | None:
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


def _prob(model, tok, req: EditRequest) -> float:
    s = score_targets(model, tok, [prompt_ids(tok, req.filled)], [target_ids(tok, req.target_new)])[0]
    return float(torch.exp(torch.tensor(-s.nll)))


def checkpoint_diagnostics(st: RunState, layers: list[int], totals: dict | None = None) -> dict:
    """noise_E and mean kᵀβ per edited layer, measured on `totals` — the deltas the checkpoint evaluates
    (PRUNE's restrained ones; the running totals by default)."""
    totals = st.total if totals is None else totals
    out = {"n_edits": st.n_done, "noise_E": {}, "mean_k_beta": {}, "diag_k_beta": {},
           "note": "mean_k_beta averages k_i^T beta_j over the T-1 other edits j != i (eq. 15, N = T-1)"}
    for l in layers:
        if not st.diag.get(f"K.{l}"):
            continue
        k, y = torch.stack(st.diag[f"K.{l}"], 1), torch.stack(st.diag[f"Y.{l}"], 1)
        out["noise_E"][str(l)] = noise_E(totals[l].cpu(), k, y)        # the trace is kept on the CPU
        if len(st.diag.get(f"B.{l}", [])) == k.shape[1]:
            b = torch.stack(st.diag[f"B.{l}"], 1)
            out["mean_k_beta"][str(l)] = mean_k_beta(k, b)
            out["diag_k_beta"][str(l)] = diag_k_beta(k, b)
    return out


def edit_order(n: int, order_seed: int | None) -> list[int]:
    """The seeded order in which a run edits its `n` requests (None: file order)."""
    order = list(range(n))
    if order_seed is not None:
        random.Random(order_seed).shuffle(order)
    return order


def run_sequential(model, tok, method: Method, hp, ctx: EditContext, requests: list[EditRequest],
                   out_dir: str | Path, settings: RunSettings) -> dict[int, torch.Tensor]:
    """Edit `requests` sequentially, writing every checkpoint; resumes from `out_dir/state` if present.

    The model is left carrying all edits (W0 + total). Returns the final total deltas."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if settings.checkpoints[-1] > len(requests):
        raise ValueError(f"last checkpoint {settings.checkpoints[-1]} exceeds the {len(requests)} requests")
    layers = method.edited_layers(hp)
    key = run_key(method, hp, requests, settings)
    st = _load_state(out, key, settings.checkpoints, device_of(model))
    w0 = snapshot(model, [*layers, *(k for k in (st.total if st else {}) if k not in layers)])
    if st is None:
        st = RunState(0, edit_order(len(requests), settings.order_seed), {}, method.init_state(model, hp, ctx))
        log.info("starting %s on %d requests", method.name, settings.checkpoints[-1])
    else:
        log.info("resuming %s after %d edits", method.name, st.n_done)
        for l, t in st.total.items():
            add_delta(model, l, t)
    _truncate_log(out / "edits.jsonl", st.n_done)
    end = settings.checkpoints[-1]
    bar = tqdm(total=end, initial=st.n_done, desc=f"edit {method.name}", unit="edit")
    with open(out / "edits.jsonl", "a") as logf:
        while st.n_done < end:
            t0 = time.perf_counter()
            take = min(settings.batch_size, end - st.n_done,
                       min(c for c in settings.checkpoints if c > st.n_done) - st.n_done)
            batch = [requests[i] for i in st.order[st.n_done: st.n_done + take]]
            p_before = [_prob(model, tok, r) for r in batch]
            try:
                deltas, trace = method.compute_deltas(model, tok, batch, hp, st.method_state, ctx)
            except FloatingPointError as e:
                raise FloatingPointError(f"edit {st.n_done + 1} (case_id {batch[0].case_id}): {e}") from e
            noise_before = {}
            w0.update(snapshot(model, [k for k in deltas if k not in w0]))   # first delta of a key: still W0
            for l, d in deltas.items():
                prev = st.total.get(l, torch.zeros_like(d))
                if l in trace.keys:
                    noise_before[str(l)] = float(((prev.double() @ trace.keys[l].double()) ** 2).sum())
                    _keep(st.diag, l, trace, d)
                st.total[l] = prev + d
            restore(model, w0)                           # weights := W0 + total, exactly as on resume
            for l, t in st.total.items():
                add_delta(model, l, t)
            st.n_done += take
            rec = {"edit": st.n_done, "case_ids": [r.case_id for r in batch], "seconds": time.perf_counter() - t0,
                   "noise_sq_before": noise_before, "p_before": p_before,
                   "p_after": [_prob(model, tok, r) for r in batch], **_jsonable(trace.info)}
            logf.write(json.dumps(rec) + "\n")
            logf.flush()
            bar.update(take)
            if st.n_done % 10 == 0:
                _return_free_memory()
            if st.n_done in settings.checkpoints:
                _write_checkpoint(out, model, method, hp, st, layers, requests)
            if st.n_done in settings.checkpoints or st.n_done % settings.save_every == 0:
                _save_state(out, st, key)
    bar.close()
    return st.total


def _return_free_memory() -> None:
    """Hand freed heap memory back to the OS (glibc's malloc_trim). Every edit allocates and frees tensors
    of new sizes; without this glibc keeps the freed pages: a 1,000-edit FT benchmark run on the 3.7M-parameter
    GPT-2 peaked at 1,443 MB resident (2 threads), and at 497 MB with it (1 thread; README "Benchmark")."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):          # not glibc: nothing to do
        pass


def _keep(diag: dict, layer: int, trace, delta: torch.Tensor) -> None:
    keys = trace.keys[layer].float().cpu()
    own = (delta.double() @ keys.double().to(delta.device)).float().cpu()
    betas = trace.betas.get(layer)
    for j in range(keys.shape[1]):
        diag.setdefault(f"K.{layer}", []).append(keys[:, j].contiguous())
        diag.setdefault(f"Y.{layer}", []).append(own[:, j].contiguous())
        if betas is not None:
            diag.setdefault(f"B.{layer}", []).append(betas[:, j].float().cpu().contiguous())


def _write_checkpoint(out: Path, model, method, hp, st: RunState, layers, requests) -> None:
    final = method.finalize(model, st.total, hp, st.method_state)
    write_checkpoint(out, st.n_done, final, [requests[i].case_id for i in st.order[: st.n_done]],
                     checkpoint_diagnostics(st, layers, final))


def write_checkpoint(run_dir: str | Path, n_done: int, deltas: dict[int, torch.Tensor], edited_case_ids: list[int],
                     diagnostics: dict) -> None:
    """The checkpoint contract, written atomically: run_dir/ckpt_<n>/deltas.safetensors ({"layer.<l>": Δ [d, m]}
    in the math orientation), diagnostics.json ({"noise_E": {layer: value}, "mean_k_beta": {...}} or {}), and
    edited.json (the case ids edited so far, in edit order). A method wrapped from other code writes these."""
    def write(d: Path):
        save_file({delta_name(l): t.float().cpu().contiguous() for l, t in deltas.items()}, d / "deltas.safetensors")
        (d / "diagnostics.json").write_text(json.dumps(diagnostics, indent=1))
        (d / "edited.json").write_text(json.dumps(list(edited_case_ids)))
    _atomic_dir(Path(run_dir) / f"ckpt_{n_done}", write)
    log.info("checkpoint after %d edits written", n_done)


def _truncate_log(path: Path, n_done: int) -> None:
    """Drop log lines of edits that were made after the last saved state (they will be redone)."""
    if not path.exists():
        return
    keep = [line for line in path.read_text().splitlines() if line and json.loads(line)["edit"] <= n_done]
    path.write_text("".join(line + "\n" for line in keep))


def _jsonable(info: dict) -> dict:
    return json.loads(json.dumps(info, default=float))


def read_checkpoint(ckpt_dir: str | Path) -> tuple[dict[int, torch.Tensor], list[int], dict]:
    """The checkpoint contract read back: (deltas, edited case ids in edit order, diagnostics)."""
    d = Path(ckpt_dir)
    return (load_deltas(d / "deltas.safetensors"), json.loads((d / "edited.json").read_text()),
            json.loads((d / "diagnostics.json").read_text()))


def load_deltas(path: str | Path) -> dict[int, torch.Tensor]:
    """Read a checkpoint's deltas.safetensors back into {layer: Δ [d, m]}."""
    return {delta_key(k): v for k, v in load_file(str(path)).items()}
