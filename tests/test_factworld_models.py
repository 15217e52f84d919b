"""The tiny fact world's models meet the bar: facts learned, and editable at the subject."""
import json

import pytest

from deltaedit.data import load_counterfact, load_zsre
from deltaedit.eval.metrics import counterfact_scores, unedited_predictions, zsre_scores
from deltaedit.eval.summary import summarize
from deltaedit.models import adapter_for, load_model

pytestmark = pytest.mark.slow
ARCHS = ["gpt2", "llama"]


@pytest.mark.parametrize("arch", ARCHS)
def test_accuracy_bar(tiny_world, arch):
    acc = tiny_world[1]["models"][arch]["accuracy"]
    assert acc["main"] >= 0.95 and acc["paraphrase"] >= 0.90 and acc["neighborhood"] >= 0.95, acc


LLAMA_EDIT_GAP = pytest.mark.xfail(reason="known gap: on the tiny (3 x 64) Llama the value optimisation with "
                                           "context templates reaches the target for only about a third of 12 "
                                           "single edits (the default Llama edits; see README)", strict=False)


@pytest.mark.parametrize("arch", ARCHS)
def test_editability_bar_below_last_layer(tiny_world, arch):
    out, summary = tiny_world
    info = summary["models"][arch]
    curve = {int(k): v for k, v in info["editability"].items()}
    n_layer = info["size"]["n_layer"]
    assert max(curve) < n_layer - 1 or set(curve) == set(range(n_layer - 1))
    assert max(curve.values()) >= 0.90, curve
    assert json.loads((out / "models" / arch / "checks.json").read_text())["editability"] == info["editability"]


@pytest.mark.parametrize("arch", ARCHS)
def test_saved_model_loads_like_a_hub_model_and_scores_as_unedited(tiny_world, arch):
    out, _ = tiny_world
    model, tok = load_model(out / "models" / arch)
    assert adapter_for(model).model_type == arch
    recs = load_counterfact(out / "counterfact.json")[:80]
    ref = unedited_predictions(model, tok, recs)
    s = summarize(counterfact_scores(model, tok, recs, ref), ["efficacy_top", "specificity_top",
                                                              "efficacy_larger", "specificity_larger"])
    assert s["efficacy_top"]["mean"] <= 10 and s["efficacy_larger"]["mean"] <= 10   # o* is not yet believed
    assert s["specificity_top"]["mean"] == 100 and s["specificity_larger"]["mean"] >= 95
    z = summarize(zsre_scores(model, tok, load_zsre(out / "zsre.json")[:80]), ["efficacy", "specificity"])
    # token accuracy gives teacher-forced credit to the later tokens of a multi-token answer ("Tel|mar"),
    # so the pre-edit efficacy is not near 0 on a small-vocabulary world; it stays well below specificity
    assert z["efficacy"]["mean"] < z["specificity"]["mean"] - 20 and z["specificity"]["mean"] >= 90


@pytest.mark.parametrize("arch", ["gpt2", pytest.param("llama", marks=LLAMA_EDIT_GAP)])
def test_single_edits_work_on_the_tiny_world(tiny_world, arch):
    """Locate-then-edit works on the fact world: single edits flip most facts (pre-edit efficacy ~0)."""
    from deltaedit.api import load_hparams
    from deltaedit.factworld.edit_check import single_edits, world_context
    from deltaedit.methods import get_method
    out, _ = tiny_world
    model, tok = load_model(out / "models" / arch)
    recs = load_counterfact(out / "counterfact.json")[:12]
    ref = unedited_predictions(model, tok, recs)
    for name in ("rome", "memit", "alphaedit", "deltaedit"):
        hp = load_hparams(name, f"factworld-tiny-{arch}")
        ctx = world_context(model, tok, out, get_method(name), hp)
        res = single_edits(model, tok, recs, name, hp, ctx, ref)
        assert res["efficacy_larger"]["mean"] >= 75, (name, res)
        assert res["efficacy_top"]["mean"] >= 50, (name, res)
        assert res["specificity_larger"]["mean"] >= 80, (name, res)
