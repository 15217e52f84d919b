"""Generation-based efficacy (deltaedit.eval.generation): the matching rule by hand, and a fact-world case
where the teacher-forced score and what the model writes disagree."""
import pytest

from deltaedit.eval.generation import continuation_hits, generation_hits, continuations


@pytest.mark.parametrize("continuation,target,hit", [
    (" English. She was born", "English", True),
    ("  english and French", "English", True),           # case and surrounding space do not matter
    (" Englishman", "English", False),                   # a word boundary after the target
    (" the\nEnglish", "English", False),                 # cut at the first newline
    (" New   York City", "New York", True),              # repeated space inside is one space
    (" French", "English", False),
    ("", "English", False),
    (" English", "", False),                             # an empty target never hits
])
def test_a_hit_is_a_continuation_that_begins_with_the_target(continuation, target, hit):
    assert continuation_hits(continuation, target) is hit


def test_teacher_forcing_and_generation_disagree_on_the_fact_world(world):
    """On the tiny world's records, an untrained model of its size prefers the new object to the true one
    under teacher forcing (Efficacy_larger = 1) for some records whose greedy continuation does not begin
    with it: the teacher-forced number counts an edit the model does not say."""
    from deltaedit.data import load_counterfact
    from deltaedit.eval.metrics import counterfact_scores
    from deltaedit.models import load_model

    model, tok = load_model(world / "models/gpt2")
    records = load_counterfact(world / "counterfact.json")[:40]
    forced = counterfact_scores(model, tok, records)
    said = generation_hits(model, tok, [r.request.filled for r in records], [r.request.target_new for r in records],
                           max_new_tokens=5)
    disagree = [i for i, (f, g) in enumerate(zip(forced, said)) if f["efficacy_larger"] == 1 and not g]
    assert disagree, "expected at least one record preferred under teacher forcing but not generated"
    i = disagree[0]
    text = continuations(model, tok, [records[i].request.filled], 5)[0]
    assert not continuation_hits(text, records[i].request.target_new)
    assert tok.padding_side == "right"                                   # restored after left-padded batches
    with pytest.raises(ValueError, match="one target per prompt"):
        generation_hits(model, tok, ["a"], [])
