"""Metrics on hand-built logits: a bigram 'model' whose next-token logits depend on the last token only."""
import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from deltaedit.eval.metrics import counterfact_scores, unedited_predictions, zsre_scores
from deltaedit.eval.scoring import greedy_tokens, score_targets, target_ids
from deltaedit.eval.summary import bootstrap_ci, summarize
from deltaedit.types import EditRecord, EditRequest

WORDS = ["<pad>", "A", "B", "C", "is", "x", "y", "z", "?", "Q"]


def word_tokenizer():
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast
    t = Tokenizer(models.WordLevel({w: i for i, w in enumerate(WORDS)}, unk_token="<pad>"))
    t.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return PreTrainedTokenizerFast(tokenizer_object=t, pad_token="<pad>", eos_token="<pad>",
                                   model_input_names=["input_ids", "attention_mask"])


class Bigram(torch.nn.Module):
    def __init__(self, table: dict[tuple[str, str], float]):
        super().__init__()
        logits = torch.zeros(len(WORDS), len(WORDS))
        for (a, b), v in table.items():
            logits[WORDS.index(a), WORDS.index(b)] = v
        self.table = torch.nn.Parameter(logits)

    def forward(self, input_ids, attention_mask=None):
        return SimpleNamespace(logits=self.table[input_ids])


TOK = word_tokenizer()
ID = {w: i for i, w in enumerate(WORDS)}


def logp(model, a, b):
    return torch.log_softmax(model.table[ID[a]], -1)[ID[b]].item()


def test_score_targets_matches_hand_computation():
    m = Bigram({("is", "y"): 2.0, ("is", "x"): 1.0, ("y", "z"): 3.0, ("y", "x"): 3.5})
    s = score_targets(m, TOK, [TOK("A is")["input_ids"]], [target_ids(TOK, "y z")])[0]
    assert s.nll == pytest.approx(-(logp(m, "is", "y") + logp(m, "y", "z")) / 2, rel=1e-6)
    assert s.hits == (1, 0) and not s.top                 # y is argmax after "is"; after "y" x beats z
    assert s.argmax == (ID["y"], ID["x"])


def test_padding_does_not_change_scores():
    m = Bigram({("is", "y"): 2.0, ("y", "z"): 1.0})
    p_short, p_long = TOK("A is")["input_ids"], TOK("A B C Q is")["input_ids"]
    alone = score_targets(m, TOK, [p_short], [target_ids(TOK, "y z")])[0]
    batched = score_targets(m, TOK, [p_long, p_short], [target_ids(TOK, "x"), target_ids(TOK, "y z")])[1]
    assert alone == batched


def test_pairs_sharing_a_row_share_one_pass_and_score_as_alone(tiny_model):
    """Pairs whose rows [x, t_1..t_{n-1}] coincide (a new and a true single-token target; a prompt that
    ends where another pair's target begins) are one pass, and every pair scores as it does alone."""
    rows_run = []
    forward = tiny_model.forward
    tiny_model.forward = lambda input_ids, attention_mask: (rows_run.extend(input_ids.tolist()),
                                                           forward(input_ids=input_ids, attention_mask=attention_mask))[1]
    tok = SimpleNamespace(pad_token_id=0, eos_token_id=0)
    prompts = [[5, 6, 7], [5, 6, 7], [5, 6, 7, 9], [5, 6, 7], [3, 4], [8, 8, 8, 8, 8, 8]]
    targets = [[9], [11], [12, 13], [9, 12, 13], [9], [2]]
    together = score_targets(tiny_model, tok, prompts, targets, batch_size=2)
    distinct = {tuple(p + t[:-1]) for p, t in zip(prompts, targets)}
    assert len(rows_run) == len(distinct) == 4                  # 6 pairs, 4 rows
    for p, t, got in zip(prompts, targets, together):
        alone = score_targets(tiny_model, tok, [p], [t])[0]
        assert (got.top, got.hits, got.argmax) == (alone.top, alone.hits, alone.argmax)
        assert got.nll == pytest.approx(alone.nll, rel=1e-5, abs=1e-6)


def _cf_record():
    req = EditRequest(0, "A", "{} is", target_new="y", target_true="x")
    return EditRecord(req, "counterfact", paraphrase_prompts=("Q A is", "C A is"), neighborhood_prompts=("B is", "C is"))


def test_counterfact_top_and_larger():
    rec = _cf_record()
    # "is" -> x (true) is preferred: unedited behaviour
    m = Bigram({("is", "x"): 2.0, ("is", "y"): 1.0})
    ref = unedited_predictions(m, TOK, [rec])
    assert ref == {0: [[ID["x"]], [ID["x"]]]}
    row = counterfact_scores(m, TOK, [rec], ref)[0]
    assert row["efficacy_top"] == 0 and row["efficacy_larger"] == 0
    assert row["generalization_top"] == 0 and row["specificity_top"] == 1 and row["specificity_larger"] == 1
    # after an "edit" that makes y win everywhere: efficacy 1, specificity 0 against o^c = x
    m2 = Bigram({("is", "x"): 1.0, ("is", "y"): 2.0})
    row2 = counterfact_scores(m2, TOK, [rec], ref)[0]
    assert row2["efficacy_top"] == 1 and row2["efficacy_larger"] == 1 and row2["generalization_larger"] == 1
    assert row2["specificity_top"] == 0 and row2["specificity_larger"] == 0


def test_specificity_uses_the_unedited_prediction_not_the_dataset_object():
    """The paper scores neighbours against the model's own o^c (the paper, §A.2); here the unedited model
    predicts z, not the dataset's x, for the neighbour prompts."""
    rec = _cf_record()
    m = Bigram({("is", "z"): 3.0, ("is", "x"): 1.0})
    ref = unedited_predictions(m, TOK, [rec])
    assert counterfact_scores(m, TOK, [rec], ref)[0]["specificity_top"] == 1
    assert counterfact_scores(m, TOK, [rec], None)[0]["specificity_top"] == 0
    with pytest.raises(KeyError, match="case 0"):
        counterfact_scores(m, TOK, [rec], {})


def test_zsre_token_accuracy_partial_credit():
    req = EditRequest(3, "A", "{} is", target_new="y z", target_true="x")
    rec = EditRecord(req, "zsre", paraphrase_prompts=("Q A is",), neighborhood_prompts=("B ?",),
                     neighborhood_answer="x z")
    m = Bigram({("is", "y"): 2.0, ("y", "x"): 1.0, ("?", "x"): 1.0, ("x", "z"): 1.0})
    row = zsre_scores(m, TOK, [rec])[0]
    assert row == {"case_id": 3, "efficacy": 0.5, "generalization": 0.5, "specificity": 1.0}


def test_greedy_tokens_follow_argmax_chain():
    m = Bigram({("is", "y"): 1.0, ("y", "z"): 1.0, ("z", "x"): 1.0})
    assert greedy_tokens(m, TOK, [TOK("A is")["input_ids"], TOK("B is")["input_ids"]], [3, 1]) == \
        [[ID["y"], ID["z"], ID["x"]], [ID["y"]]]


def test_bootstrap_ci_brackets_mean_and_is_seeded():
    vals = [1, 0, 1, 1, 0, 1, 1, 1, 0, 1] * 5
    lo, hi = bootstrap_ci(vals, n_boot=2000, seed=1)
    assert lo < np.mean(vals) < hi
    assert (lo, hi) == bootstrap_ci(vals, n_boot=2000, seed=1)
    # normal approximation: half-width ~ 1.96 * sd / sqrt(n)
    half = 1.96 * np.std(vals) / math.sqrt(len(vals))
    assert (hi - lo) / 2 == pytest.approx(half, rel=0.25)
    s = summarize([{"m": v} for v in vals], ["m"])
    assert s["m"]["mean"] == pytest.approx(70.0) and s["m"]["n"] == 50
    assert bootstrap_ci([1.0] * 10) == (1.0, 1.0)
