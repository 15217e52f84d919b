"""General capability (lm-eval on the in-memory model): F1 as the paper reports it, offline tasks."""
import pytest
import torch

from deltaedit.eval.general import binary_f1, general_capability, macro_f1, paper_tasks, world_tasks
from deltaedit.types import EditRecord, EditRequest


def test_f1_aggregations_match_hand_computation():
    items = [(1, 1), (1, 0), (0, 1), (1, 1), (0, 0)]         # tp 2, fn 1, fp 1 -> P = R = 2/3
    assert binary_f1(items) == pytest.approx(2 / 3)
    three = [(0, 0), (1, 1), (2, 1), (2, 2)]                 # F1 per class: 1, 2/3, 2/3
    assert macro_f1(three) == pytest.approx((1 + 2 / 3 + 2 / 3) / 3)


def _docs(task):
    return list(task["custom_dataset"]()["test"])


def test_paper_tasks_read_alphaedit_subsets_with_glue_labels(shared_data):
    glue = shared_data / "glue_eval_alphaedit" / "json"
    tasks = {t["task"]: t for t in paper_tasks(glue, limit=40)}
    assert sorted(tasks) == ["cola", "mmlu", "mrpc", "nli", "rte", "sst2"]
    for name, t in tasks.items():
        docs = _docs(t)
        assert len(docs) == 40 and all(0 <= d["label"] < len(d["choices"]) for d in docs), name
    # RTE/NLI: entailment is the first choice ("True"); the two-way NLI subset has string labels
    rte = _docs(tasks["rte"])
    assert rte[0]["choices"] == ["True", "False"] and {d["label"] for d in rte} == {0, 1}
    assert len(_docs(paper_tasks(glue, ["mmlu"])[0])) == 1516
    with pytest.raises(KeyError, match="unknown general-capability task 'boolq'"):
        paper_tasks(glue, ["boolq"])
    with pytest.raises(FileNotFoundError, match="general.glue_dir"):
        paper_tasks(shared_data, ["cola"])


def _record(i, subject, relation, obj):
    req = EditRequest(i, subject, "{} lives in", "Nowhere", obj, relation)
    return EditRecord(req, (), (), ())


def test_world_tasks_skip_edited_facts_and_offer_the_relations_objects():
    objs = ["Osk", "Brindle", "Telmar", "Quistan", "Pellam"]
    recs = [_record(i, f"Subj{i}", "P1", objs[i % 5]) for i in range(30)]
    (facts,) = world_tasks(recs, skip_case_ids=set(range(10)), limit=15, seed=3)
    docs = _docs(facts)
    assert len(docs) == 15
    by_subject = {r.request.subject: r.request.target_true for r in recs}
    for d in docs:
        subject = d["text"].removesuffix(" lives in")
        assert int(subject[4:]) >= 10                            # never an edited fact
        assert d["choices"][d["label"]] == by_subject[subject]
        assert len(set(d["choices"])) == 4 and set(d["choices"]) <= set(objs)


@pytest.mark.slow
def test_general_capability_agrees_with_direct_loglikelihood_ranking(tiny_world):
    """lm-eval's accuracy on the unedited tiny GPT-2 equals ranking the choices by our own log-likelihood,
    and the world task is easy for a model that learned the world."""
    from deltaedit.data import load_counterfact
    from deltaedit.models import load_model
    out, _ = tiny_world
    model, tok = load_model(out / "models" / "gpt2")
    recs = load_counterfact(out / "counterfact.json")
    facts = world_tasks(recs, set(), limit=30, seed=0)
    res = general_capability(model, tok, facts, batch_size=8)["world_facts"]

    def loglik(text, choice):
        ctx, full = tok(text)["input_ids"], tok(text + " " + choice)["input_ids"]
        with torch.no_grad():
            logp = model(torch.tensor([full])).logits[0].log_softmax(-1)
        return sum(float(logp[i - 1, full[i]]) for i in range(len(ctx), len(full)))

    docs = _docs(facts[0])
    mine = sum(max(range(len(d["choices"])), key=lambda j: loglik(d["text"], d["choices"][j])) == d["label"]
               for d in docs) / len(docs)
    assert res["n"] == 30 and res["acc"] == pytest.approx(mine)
    assert res["acc"] >= 0.9 and 0.0 <= res["f1"] <= 1.0


def test_task_manager_skips_the_builtin_task_index():
    """The in-memory tasks need none of lm-eval's built-in task folders; indexing them cost ~15 s per job."""
    import time

    from deltaedit.eval.general import task_manager
    t0 = time.perf_counter()
    tm = task_manager()
    assert time.perf_counter() - t0 < 1.0
    assert tm.all_tasks == []


@pytest.mark.slow
def test_scores_are_identical_without_the_builtin_index(tiny_world, monkeypatch):
    """The same tasks scored with lm-eval's default TaskManager (every built-in folder indexed) and with ours."""
    import deltaedit.eval.general as general
    from deltaedit.data import load_counterfact
    from deltaedit.models import load_model
    from lm_eval.tasks import TaskManager
    out, _ = tiny_world
    model, tok = load_model(out / "models" / "gpt2")
    facts = world_tasks(load_counterfact(out / "counterfact.json"), set(), limit=20, seed=1)
    ours = general_capability(model, tok, facts, batch_size=8)
    monkeypatch.setattr(general, "task_manager", lambda: TaskManager())
    assert general_capability(model, tok, facts, batch_size=8) == ours
