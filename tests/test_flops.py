"""The FLOP count of one edit (deltaedit.study.flops) on a tiny model: the parts add up, a pass is what it says."""
from deltaedit.methods import get_method
from deltaedit.study.flops import counted, edit_flops, gflop_row
from tests.test_methods import HP, REQS, context
from tests.test_metrics import TOK

import torch


def test_a_matrix_product_counts_two_flops_per_multiply_add():
    a, b = torch.ones(3, 4), torch.ones(4, 5)
    assert counted(lambda: a @ b)[1] == 2 * 3 * 4 * 5


def test_an_edit_is_its_value_step_and_the_rest(tiny_model):
    m = get_method("alphaedit")
    hp = m.hparams_cls.from_dict(HP["alphaedit"])
    out = edit_flops(tiny_model, TOK, m, hp, context(tiny_model, [0, 1]), REQS[0])
    assert out["flops_edit"] >= out["flops_value_step"] > 0 and out["flops_rest"] == out["flops_edit"] - out["flops_value_step"]
    assert out["flops_per_pass"] * out["value_passes"] == out["flops_value_step"] and out["seconds"] > 0
    assert gflop_row(out)["gflop_edit"] == round(out["flops_edit"] / 1e9, 3)
