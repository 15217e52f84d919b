"""Sequential editing with checkpoints and exact resume (the paper, §3.1; docs/architecture.md).

Requests are edited `batch_size` at a time in a seeded order, each on the model as the previous edits
left it. The edited weights are always W0 + total (total = Σ Δ in fp32), never a chain of in-place
additions, so a run resumed from a saved total reproduces the uninterrupted weights bit for bit.
Besides the checkpoints (runner.checkpoint) and the resume state (runner.resume), the run directory holds
    edits.jsonl     one line per edit: seconds, noise, target probability before/after, trigger state, ...
"""
from __future__ import annotations

import ctypes
import json
import logging
import random
import re
import time
from dataclasses import dataclass, replace
from pathlib import Path

import torch
from tqdm.auto import tqdm

from deltaedit.diagnostics import diag_k_beta, mean_k_beta, noise_E
from deltaedit.eval.scoring import target_probability
from deltaedit.methods.base import EditContext, Method
from deltaedit.models import add_delta, device_of, read_weight, restore, snapshot
from deltaedit.runner.checkpoint import write_checkpoint
from deltaedit.runner.resume import RunState, load_state, run_key, save_state, truncate_log
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


_REPLICA = re.compile(r"^(?P<run>.+)-o(?P<seed>\d+)$")


def replica_name(run: str, seed: int) -> str:
    """The name of `run` repeated in the edit order of `seed` (an order replica; its folder under results/)."""
    return f"{run}-o{seed}"


def replica_of(name: str) -> tuple[str, int] | None:
    """(run, seed) of an order replica's name; None for any other run."""
    m = _REPLICA.match(name)
    return (m["run"], int(m["seed"])) if m else None


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
    ctx = ctx if ctx.requests else replace(ctx, requests=list(requests))
    st = load_state(out, key, settings.checkpoints, device_of(model))
    w0 = snapshot(model, [*layers, *(k for k in (st.total if st else {}) if k not in layers)])
    if st is None:
        st = RunState(0, edit_order(len(requests), settings.order_seed), {}, method.init_state(model, hp, ctx))
        log.info("starting %s on %d requests", method.name, settings.checkpoints[-1])
    else:
        log.info("resuming %s after %d edits", method.name, st.n_done)
        for l, t in st.total.items():
            add_delta(model, l, t)
    truncate_log(out / "edits.jsonl", st.n_done)
    end = settings.checkpoints[-1]
    bar = tqdm(total=end, initial=st.n_done, desc=f"edit {method.name}", unit="edit")
    with open(out / "edits.jsonl", "a") as logf:
        while st.n_done < end:
            t0 = time.perf_counter()
            take = min(settings.batch_size, end - st.n_done,
                       min(c for c in settings.checkpoints if c > st.n_done) - st.n_done)
            batch = [requests[i] for i in st.order[st.n_done: st.n_done + take]]
            p_before = [target_probability(model, tok, r) for r in batch]
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
                   "p_after": [target_probability(model, tok, r) for r in batch], **_jsonable(trace.info)}
            logf.write(json.dumps(rec) + "\n")
            logf.flush()
            bar.update(take)
            if st.n_done % 10 == 0:
                _return_free_memory()
            if st.n_done in settings.checkpoints:
                _write_checkpoint(out, model, method, hp, st, layers, requests)
            if st.n_done in settings.checkpoints or st.n_done % settings.save_every == 0:
                save_state(out, st, key)
    bar.close()
    return st.total


def _return_free_memory() -> None:
    """Hand freed heap memory back to the OS (glibc's malloc_trim). Every edit allocates and frees tensors
    of new sizes; without this glibc keeps the freed pages: a 1,000-edit FT benchmark run on the 3.7M-parameter
    GPT-2 peaked at 1,443 MB resident (2 threads), and at 497 MB with it (1 thread; docs/benchmark.md)."""
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
    diagnostics = checkpoint_diagnostics(st, layers, final)
    # ‖W0 + Δ‖_F of every edited matrix as the checkpoint evaluates it (the model carries W0 + the running total)
    diagnostics["weight_fro"] = {
        str(l): float((read_weight(model, l).cpu().double() - st.total[l].cpu().double() + d.cpu().double()).norm())
        for l, d in final.items() if isinstance(l, int) and l in st.total}
    write_checkpoint(out, st.n_done, final, [requests[i].case_id for i in st.order[: st.n_done]], diagnostics)


def _jsonable(info: dict) -> dict:
    return json.loads(json.dumps(info, default=float))
