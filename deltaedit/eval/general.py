"""General capability with lm-eval on the in-memory (edited) model — the paper, §5, Figures 3 and 7.

The paper reports F1 on CoLA, MMLU, MRPC, NLI, RTE and SST-2, scored as multiple choice by log-likelihood
(the `f1_new` form of AlphaEdit's GLUE evaluation): binary F1 of the second choice for the
two-class tasks, macro F1 for MMLU's four classes. Data never come from the hub here: the paper tasks read
AlphaEdit's class-balanced subsets from a directory the caller names (`glue_eval_alphaedit/json`), and the
fact world gets tasks built from its own facts (multiple choice over a relation's objects, for facts that
were never edited), so the stage runs offline. Tasks are lm-eval config dicts with an in-memory
`custom_dataset`: nothing is written and the datasets cache is not touched.
"""
from __future__ import annotations

import json
import logging
import random
from pathlib import Path

from sklearn.metrics import f1_score

from deltaedit.types import EditRecord

log = logging.getLogger(__name__)

PAPER_TASKS = ("cola", "mmlu", "mrpc", "nli", "rte", "sst2")


def binary_f1(items) -> float:
    golds, preds = zip(*items)
    return float(f1_score(golds, preds, average="binary", pos_label=1))


def macro_f1(items) -> float:
    golds, preds = zip(*items)
    return float(f1_score(golds, preds, average="macro"))


def _pair(question_fmt: str):
    return lambda d: f"{d['sentence1']}\nQuestion: {question_fmt.format(d['sentence2'])}\nAnswer:"


def _mmlu_text(d) -> str:
    opts = "\n".join(f"{letter}. {c}" for letter, c in zip("ABCD", d["choices"]))
    return f"{d['question'].strip()}\n{opts}\nAnswer:"


# name -> (file, doc -> prompt, choices, doc -> gold index). Labels follow GLUE: CoLA 1 = acceptable,
# MRPC 1 = paraphrase, RTE 0 = entailment (hence "True" first), SST-2 1 = positive; AlphaEdit's NLI subset
# is two-way with string labels.
_GLUE = {
    "cola": ("cola.json", lambda d: f"{d['sentence']}\nQuestion: Does this sentence make sense?\nAnswer:",
             ["no", "yes"], lambda d: int(d["label"])),
    "mrpc": ("mrpc.json", lambda d: f"Sentence 1: {d['sentence1']}\nSentence 2: {d['sentence2']}\n"
                                    "Question: Do both sentences mean the same thing?\nAnswer:",
             ["no", "yes"], lambda d: int(d["label"])),
    "rte": ("rte.json", _pair("{} True or False?"), ["True", "False"], lambda d: int(d["label"])),
    "nli": ("nli.json", _pair("{} True or False?"), ["True", "False"],
            lambda d: 0 if d["label"] == "entailment" else 1),
    "sst2": ("sst2.json", lambda d: f"{d['sentence']}\nQuestion: Is this sentence positive or negative?\nAnswer:",
             ["negative", "positive"], lambda d: int(d["label"])),
    "mmlu": ("mmlu.json", _mmlu_text, ["A", "B", "C", "D"], lambda d: int(d["answer"])),
}


def _task(name: str, rows: list[dict]) -> dict:
    """An lm-eval multiple-choice task over rows {text, choices, label}, scored by F1 and accuracy."""
    import datasets

    n_classes = max(len(r["choices"]) for r in rows)
    agg = binary_f1 if n_classes == 2 else macro_f1
    return {"task": name, "custom_dataset": lambda **_: {"test": datasets.Dataset.from_list(rows)},
            "output_type": "multiple_choice", "test_split": "test",
            "doc_to_text": lambda d: d["text"], "doc_to_choice": lambda d: d["choices"],
            "doc_to_target": lambda d: d["label"],
            "metric_list": [{"metric": "acc", "aggregation": "mean", "higher_is_better": True},
                            {"metric": "f1", "aggregation": agg, "higher_is_better": True}],
            "metadata": {"version": 1.0}}


def paper_tasks(glue_dir: str | Path, names=PAPER_TASKS, limit: int | None = None, seed: int = 0) -> list[dict]:
    """The paper's six tasks over AlphaEdit's subsets in `glue_dir` (a seeded sample of `limit` per task)."""
    tasks = []
    for name in names:
        if name not in _GLUE:
            raise KeyError(f"unknown general-capability task {name!r}; known: {', '.join(sorted(_GLUE))}")
        file, text, choices, gold = _GLUE[name]
        path = Path(glue_dir) / file
        if not path.exists():
            raise FileNotFoundError(f"general-capability task {name!r} needs {path} (set general.glue_dir)")
        docs = json.loads(path.read_text())
        if limit is not None and limit < len(docs):
            docs = random.Random(seed).sample(docs, limit)
        tasks.append(_task(name, [{"text": text(d), "choices": choices, "label": gold(d)} for d in docs]))
    return tasks


def world_tasks(records: list[EditRecord], skip_case_ids: set[int], limit: int = 200, n_choices: int = 4,
                seed: int = 0) -> list[dict]:
    """`world_facts`: multiple choice on facts of the world that were never edited — the true object among
    `n_choices` objects of the same relation, asked with the records' own prompt (the CounterFact sentence
    or the ZsRE question, whichever dataset the run edits)."""
    rng = random.Random(seed)
    pool = [r for r in records if r.request.case_id not in skip_case_ids]
    objects: dict[str, list[str]] = {}
    for r in records:
        objs = objects.setdefault(r.request.relation_id or r.request.prompt, [])
        if r.request.target_true not in objs:
            objs.append(r.request.target_true)
    rows = []
    for r in rng.sample(pool, min(limit, len(pool))):
        req = r.request
        others = [o for o in objects[req.relation_id or req.prompt] if o != req.target_true]
        choices = rng.sample(others, min(n_choices - 1, len(others))) + [req.target_true]
        rng.shuffle(choices)
        rows.append({"text": req.filled, "choices": choices, "label": choices.index(req.target_true)})
    return [_task("world_facts", rows)]


def task_manager():
    """An lm-eval TaskManager that does not index lm-eval's built-in task folders: every task here is an
    in-memory config dict, and indexing the ~10,000 built-in YAML files took ~15 s of every scoring job."""
    from lm_eval.tasks import TaskManager

    return TaskManager(include_defaults=False)


def general_capability(model, tok, tasks: list[dict], batch_size: int = 16, max_length: int | None = None) -> dict:
    """Run lm-eval on the model as it is now (deltas applied by the caller); {task: {f1, acc, n}}."""
    import lm_eval
    from lm_eval.models.huggingface import HFLM

    if not tasks:
        return {}
    lm = HFLM(pretrained=model, tokenizer=tok, batch_size=batch_size, max_length=max_length)
    res = lm_eval.simple_evaluate(model=lm, tasks=tasks, num_fewshot=0, bootstrap_iters=0, log_samples=False,
                                  random_seed=0, numpy_random_seed=0, torch_random_seed=0, fewshot_random_seed=0,
                                  task_manager=task_manager())
    out = {}
    for name, r in res["results"].items():
        out[name] = {"f1": float(r["f1,none"]), "acc": float(r["acc,none"]), "n": int(res["n-samples"][name]["effective"])}
        log.info("general capability %s: F1 %.4f, acc %.4f (n=%d)", name, out[name]["f1"], out[name]["acc"], out[name]["n"])
    return out
