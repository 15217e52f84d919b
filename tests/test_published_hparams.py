"""The published GPT2-XL and Llama3-8B hyperparameters, value by value.

The table below is written from the papers and the released hparams files (docs/methods.md gives each
method's hparams and their meaning; DeltaEdit's v_loss_layer 35 on Llama is the released file's leftover
from a deeper model — the loss is read at the real output here, docs/methods.md#fidelity). Every
value of a shipped file must be the one in the table, and every value in the table must be what the
shipped file resolves to (defaults included), so a changed file or default fails here by name.
"""
import math

import pytest

from deltaedit.api import load_hparams
from deltaedit.core.templates import MEMIT_TEMPLATES, ROME_TEMPLATES
from deltaedit.methods import get_method
from deltaedit.methods.deltaedit import RULES

VALUE_GPT2 = dict(v_lr=0.5, v_num_grad_steps=20, v_weight_decay=0.5, kl_factor=0.0625, early_stop_loss=0.05)
VALUE_LLAMA = dict(v_lr=0.1, v_num_grad_steps=25, v_weight_decay=0.5, kl_factor=0.0625, early_stop_loss=0.05)
MEMIT_GPT2 = dict(VALUE_GPT2, layers=[13, 14, 15, 16, 17], clamp_norm_factor=0.75, mom2_update_weight=20000.0)
MEMIT_LLAMA = dict(VALUE_LLAMA, layers=[4, 5, 6, 7, 8], clamp_norm_factor=0.75, mom2_update_weight=15000.0)
ALPHA_GPT2 = dict(VALUE_GPT2, layers=[13, 14, 15, 16, 17], clamp_norm_factor=0.75, nullspace_threshold=2e-2,
                  nullspace_relative=False, L2=10.0)
ALPHA_LLAMA = dict(VALUE_LLAMA, layers=[4, 5, 6, 7, 8], clamp_norm_factor=0.75, nullspace_threshold=2e-2,
                   nullspace_relative=False, L2=10.0)

PUBLISHED = {
    ("ft", "gpt2-xl"): dict(layers=[0], lr=5e-4, num_steps=25, weight_decay=0.0, norm_constraint=5e-4,
                            early_stop_loss=1e-2),                      # AlphaEdit's gpt2-xl_constr
    ("ft", "llama3-8b"): dict(layers=[21], lr=5e-4, num_steps=25, weight_decay=0.0, norm_constraint=None,
                              early_stop_loss=1e-2),
    ("rome", "gpt2-xl"): dict(VALUE_GPT2, layers=[17], clamp_norm_factor=4.0, mom2_adjustment=True),
    ("rome", "llama3-8b"): dict(VALUE_LLAMA, layers=[5], v_lr=0.5, v_weight_decay=1e-3, clamp_norm_factor=4.0,
                                mom2_adjustment=False),
    ("memit", "gpt2-xl"): MEMIT_GPT2,
    ("memit", "llama3-8b"): MEMIT_LLAMA,
    ("prune", "gpt2-xl"): dict(MEMIT_GPT2, prune_log_base=math.e),
    ("prune", "llama3-8b"): dict(MEMIT_LLAMA, prune_log_base=math.e),
    ("rect", "gpt2-xl"): dict(MEMIT_GPT2, rect_keep_percent=40.0),
    ("rect", "llama3-8b"): dict(MEMIT_LLAMA, rect_keep_percent=40.0),
    ("alphaedit", "gpt2-xl"): ALPHA_GPT2,
    ("alphaedit", "llama3-8b"): ALPHA_LLAMA,
    # DeltaEdit: the paper's η 3 / 1.5 and δ 0.9; the released files' L2 (1 on GPT2-XL, 10 on Llama3-8B)
    ("deltaedit", "gpt2-xl"): dict(ALPHA_GPT2, L2=1.0, eta=3.0, ema=0.9, trigger="paper", early_stop_prob=0.98),
    ("deltaedit", "llama3-8b"): dict(ALPHA_LLAMA, eta=1.5, ema=0.9, trigger="paper", early_stop_prob=0.98),
    # beyond the paper: NAS (AlphaEdit's values + the code's anchor rule, nas_restart 1,000) and ENCORE (MEMIT's
    # values + update_norm_lambda 10 / 20, prob_cutoff -4 / -2, Llama's v_lr 0.5), from SasyaTitech/NAS's files
    ("nas", "gpt2-xl"): dict(ALPHA_GPT2, norm_anchor="code", anchor_samples=1000),
    ("nas", "llama3-8b"): dict(ALPHA_LLAMA, norm_anchor="code", anchor_samples=1000),
    ("encore", "gpt2-xl"): dict(MEMIT_GPT2, update_norm_lambda=10.0, add_prev_edits=True, mpes_patience=4),
    ("encore", "llama3-8b"): dict(MEMIT_LLAMA, v_lr=0.5, update_norm_lambda=20.0, add_prev_edits=True, mpes_patience=2),
}


@pytest.mark.parametrize("method,model", sorted(PUBLISHED), ids=lambda x: x)
def test_published_file_matches_the_table(method, model):
    hp = load_hparams(method, model).to_dict()
    want = PUBLISHED[(method, model)]
    wrong = {k: (hp.get(k, "<missing>"), v) for k, v in want.items() if hp.get(k, "<missing>") != v}
    assert not wrong, f"{method}/{model}: (shipped, published) {wrong}"


def test_template_sets_are_the_references():
    """ROME: "{}" + 10 samples of 5 tokens + 10 of 10 (context_template_length_params [[5, 10], [10, 10]]);
    the MEMIT family: "{}" + 5 samples of 10 tokens (docs/methods.md#context-templates)."""
    assert get_method("rome").templates == ROME_TEMPLATES == ((5, 10), (10, 10))
    for m in ("ft", "memit", "prune", "rect", "alphaedit", "deltaedit", "nas", "encore"):
        assert get_method(m).templates == MEMIT_TEMPLATES == ((10, 5),)


def test_deltaedit_rules_are_the_paper_and_the_code():
    """Paper (Algorithm 1): first 5 edits skip, ≤ ¾·dim(α) directions, non-zero eigenvalues. Released code
    (docs/methods.md#deltaedit): counter > 20, at most d/4 directions (q = space·d, space 0.25), eigenvalues > 0.1 absolute."""
    assert RULES["paper"]["warmup"] == 5 and RULES["paper"]["max_removed_frac"] == 0.75
    assert RULES["code"] == dict(warmup=20, max_removed_frac=0.25, eig_threshold=0.1, eig_relative=False)
