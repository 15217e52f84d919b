"""Sequential runner: checkpoints, exact resume after a kill, determinism, clear failures."""
import json

import pytest
import torch
from safetensors.torch import load_file

from deltaedit.methods import get_method
from deltaedit.runner import RunSettings, load_deltas, run_sequential
from tests.conftest import DEVICES, MODEL_BUILDERS
from tests.test_methods import HP, REQS, TOK, context

REQUESTS = REQS + [r.__class__(10 + r.case_id, r.subject, "Q {} is", r.target_new, "x") for r in REQS]


def _run(tmp, name="deltaedit", settings=None, method=None, device="cpu"):
    model = MODEL_BUILDERS["llama"]().to(device)
    m = method or get_method(name)
    hp = get_method(name).hparams_cls.from_dict(HP[name])
    ctx = context(model, [0, 1])
    total = run_sequential(model, TOK, m, hp, ctx, REQUESTS, tmp, settings or RunSettings([3, 6], save_every=2))
    return model, total


class Killed(Exception):
    pass


class KillAfter:
    """Wraps a method and raises (as a SIGKILL would stop the process) at the n-th edit."""

    def __init__(self, method, n):
        self.m, self.n, self.calls = method, n, 0

    def __getattr__(self, k):
        return getattr(self.m, k)

    def compute_deltas(self, *a, **k):
        self.calls += 1
        if self.calls == self.n:
            raise Killed
        return self.m.compute_deltas(*a, **k)


@pytest.mark.parametrize("device", DEVICES)
def test_kill_and_resume_is_bit_identical(tmp_path, device):
    _, full = _run(tmp_path / "full", device=device)
    with pytest.raises(Killed):
        _run(tmp_path / "killed", method=KillAfter(get_method("deltaedit"), 6), device=device)   # dies in edit 6
    assert (tmp_path / "killed" / "ckpt_3").exists() and not (tmp_path / "killed" / "ckpt_6").exists()
    _, resumed = _run(tmp_path / "killed", device=device)
    for l in full:
        assert full[l].device.type == device and torch.equal(full[l], resumed[l])
    for ck in ("ckpt_3", "ckpt_6"):
        a = load_file(tmp_path / "full" / ck / "deltas.safetensors")
        b = load_file(tmp_path / "killed" / ck / "deltas.safetensors")
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    lines = [json.loads(x) for x in (tmp_path / "killed" / "edits.jsonl").read_text().splitlines()]
    assert [x["edit"] for x in lines] == [1, 2, 3, 4, 5, 6]
    assert {"noise_sq_before", "p_before", "p_after", "seconds", "trigger", "removed_rank"} <= set(lines[-1])


def test_a_run_interrupted_under_snakemake_resumes_although_its_outputs_were_deleted(tmp_path):
    """Snakemake deletes a job's declared outputs (the checkpoints' deltas, the edit log) before rerunning
    it; the saved state keeps them, so the rerun resumes after edit 4 instead of redoing edits 1-4."""
    _, full = _run(tmp_path / "full", settings=RunSettings([2, 4, 6], save_every=10))
    with pytest.raises(Killed):
        _run(tmp_path / "killed", settings=RunSettings([2, 4, 6], save_every=10),
             method=KillAfter(get_method("deltaedit"), 5))                          # dies in edit 5
    run = tmp_path / "killed"
    for f in (run / "ckpt_2/deltas.safetensors", run / "ckpt_4/deltas.safetensors", run / "edits.jsonl"):
        f.unlink()
    counting = KillAfter(get_method("deltaedit"), 0)                                # never kills; counts
    _, resumed = _run(run, settings=RunSettings([2, 4, 6], save_every=10), method=counting)
    assert counting.calls == 2                                                      # edits 5 and 6 only
    assert all(torch.equal(full[l], resumed[l]) for l in full)
    for ck in ("ckpt_2", "ckpt_4", "ckpt_6"):
        a, b = (load_file(tmp_path / r / ck / "deltas.safetensors") for r in ("full", "killed"))
        assert all(torch.equal(a[k], b[k]) for k in a)
    assert [json.loads(x)["edit"] for x in (run / "edits.jsonl").read_text().splitlines()] == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize("device", DEVICES)
def test_same_seed_same_deltas_and_checkpoint_contents(tmp_path, device):
    model, a = _run(tmp_path / "a", "alphaedit", device=device)
    _, b = _run(tmp_path / "b", "alphaedit", device=device)
    assert all(torch.equal(a[l], b[l]) for l in a)
    d6 = load_deltas(tmp_path / "a" / "ckpt_6" / "deltas.safetensors")
    assert all(torch.equal(d6[l], a[l].cpu()) for l in a)
    diag = json.loads((tmp_path / "a" / "ckpt_6" / "diagnostics.json").read_text())
    assert diag["n_edits"] == 6 and set(diag["noise_E"]) == {"0", "1"} and set(diag["mean_k_beta"]) == {"0", "1"}
    edited = json.loads((tmp_path / "a" / "ckpt_3" / "edited.json").read_text())
    assert len(edited) == 3 and set(edited) <= {r.case_id for r in REQUESTS}
    _, c = _run(tmp_path / "c", "alphaedit", RunSettings([3, 6], order_seed=1), device=device)
    assert not all(torch.equal(a[l], c[l]) for l in a)                 # another order, other deltas


def test_nan_in_optimisation_stops_with_the_edit_named(tmp_path):
    model = MODEL_BUILDERS["gpt2"]()
    m = get_method("memit")
    hp = m.hparams_cls.from_dict(HP["memit"])
    ctx = context(model, [0, 1])
    with torch.no_grad():
        model.lm_head.weight[:, 0] = float("nan")
    with pytest.raises(FloatingPointError, match=r"edit 1 \(case_id \d+\)"):
        run_sequential(model, TOK, m, hp, ctx, REQUESTS, tmp_path, RunSettings([2]))
    assert not (tmp_path / "ckpt_2").exists()


def test_bad_settings():
    with pytest.raises(ValueError, match="increasing"):
        RunSettings([5, 3])
    with pytest.raises(ValueError, match="batch_size"):
        RunSettings([1], batch_size=0)


def test_a_state_from_another_run_or_with_missing_checkpoints_is_not_resumed(tmp_path):
    """A rerun after an hparams change (or after its outputs were deleted) starts afresh instead of
    resuming a finished state that belongs to another run."""
    _, fresh = _run(tmp_path / "fresh", "alphaedit", RunSettings([3, 6], order_seed=1))
    _run(tmp_path / "reused", "alphaedit")                                        # order_seed 0 finished here
    _, rerun = _run(tmp_path / "reused", "alphaedit", RunSettings([3, 6], order_seed=1))
    assert all(torch.equal(fresh[l], rerun[l]) for l in fresh)
    (tmp_path / "reused" / "ckpt_6" / "deltas.safetensors").unlink()                # Snakemake deleted an output
    _, again = _run(tmp_path / "reused", "alphaedit", RunSettings([3, 6], order_seed=1))
    assert (tmp_path / "reused" / "ckpt_6" / "deltas.safetensors").exists()
    assert all(torch.equal(fresh[l], again[l]) for l in fresh)


def test_prune_diagnostics_measure_the_restrained_deltas(tmp_path):
    """A PRUNE checkpoint evaluates the restrained deltas, so its noise_E is measured on them (eq. 12-13),
    not on the running totals that keep being edited."""
    from deltaedit.diagnostics import noise_E
    from deltaedit.methods.prune import PRUNE

    class Strong(PRUNE):          # σ_max(W0) scaled down so that the restraint binds on the tiny model
        def init_state(self, model, hp, ctx):
            st = super().init_state(model, hp, ctx)
            st.tensors = {k: v * 0.01 for k, v in st.tensors.items()}
            return st
    _, total = _run(tmp_path, "prune", RunSettings([3, 6], save_every=2), method=Strong())
    final = load_deltas(tmp_path / "ckpt_6" / "deltas.safetensors")
    diag = json.loads((tmp_path / "ckpt_6" / "diagnostics.json").read_text())
    saved = load_file(tmp_path / "state" / "diag.safetensors")
    for l in (0, 1):
        k, y = saved[f"K.{l}"], saved[f"Y.{l}"]
        assert not torch.allclose(final[l], total[l].cpu())                       # the restraint changed them
        assert diag["noise_E"][str(l)] == pytest.approx(noise_E(final[l], k, y), rel=1e-9)
        assert diag["noise_E"][str(l)] != pytest.approx(noise_E(total[l].cpu(), k, y), rel=1e-6)


def test_ft_bias_deltas_are_checkpointed_and_resumed(tmp_path):
    """FT's bias deltas (GPT-2) go through the runner like the weights: stored as bias.<l>, restored from
    W0 + total, and resumed bit for bit."""
    def run(out, method):
        model = MODEL_BUILDERS["gpt2"]()
        hp = get_method("ft").hparams_cls.from_dict(HP["ft"])
        return model, run_sequential(model, TOK, method, hp, context(model, [1]), REQUESTS, out,
                                     RunSettings([3, 6], save_every=2))
    model, full = run(tmp_path / "full", get_method("ft"))
    assert set(full) == {1, "bias.1"}
    assert set(load_file(tmp_path / "full" / "ckpt_6" / "deltas.safetensors")) == {"layer.1", "bias.1"}
    fresh = MODEL_BUILDERS["gpt2"]()
    torch.testing.assert_close(model.transformer.h[1].mlp.c_proj.bias,
                               fresh.transformer.h[1].mlp.c_proj.bias + full["bias.1"])
    with pytest.raises(Killed):
        run(tmp_path / "killed", KillAfter(get_method("ft"), 5))
    _, resumed = run(tmp_path / "killed", get_method("ft"))
    assert all(torch.equal(full[k], resumed[k]) for k in full)
