"""CounterFact and ZsRE scores per record, computed in a few padded batches.

CounterFact (the paper, §A.2, eq. 25–30; docs/scores.md#counterfact):
  top    — Efficacy/Generalization: every token of o* is the argmax after the rewrite/paraphrase prompts;
           Specificity: every token of o^c is the argmax after the neighbourhood prompts.
  larger — Efficacy/Generalization: NLL(o*) < NLL(o); Specificity: NLL(o^c) < NLL(o*).
  o^c on neighbourhood prompts is, as the paper did, the *unedited model's own* greedy prediction
  (`unedited_predictions`), with as many tokens as the true object; pass `reference=None` for the
  dataset's true object instead (the AlphaEdit/MEMIT tables' definition).
ZsRE (docs/scores.md#zsre): token-level accuracy of the new answer (rewrite, rephrase) and of the gold
  locality answer; per record the mean over tokens.
Both, this project's addition (docs/scores.md#generation-based-efficacy): `*_gen`, whether the model's own
  greedy continuation of the rewrite / paraphrase prompts begins with the new object (eval/generation.py).
"""
from __future__ import annotations

from collections import defaultdict

from deltaedit.eval.generation import generation_hits
from deltaedit.eval.scoring import greedy_tokens, prompt_ids, score_targets, target_ids
from deltaedit.types import EditRecord

GEN_METRICS = ("efficacy_gen", "generalization_gen")
CF_TEACHER_FORCED = ("efficacy_top", "generalization_top", "specificity_top",
                     "efficacy_larger", "generalization_larger", "specificity_larger")
CF_METRICS = (*CF_TEACHER_FORCED, *GEN_METRICS)
ZSRE_TOKEN_ACCURACY = ("efficacy", "generalization", "specificity")
ZSRE_METRICS = (*ZSRE_TOKEN_ACCURACY, *GEN_METRICS)


def unedited_predictions(model, tok, records: list[EditRecord], batch_size: int = 64) -> dict[int, list[list[int]]]:
    """o^c per neighbourhood prompt: the model's greedy tokens, len(tok(" " + o)) of them (JSON-able)."""
    prompts, lens, owners = [], [], []
    for rec in records:
        n = len(target_ids(tok, rec.neighborhood_answer or rec.request.target_true))
        for p in rec.neighborhood_prompts:
            prompts.append(prompt_ids(tok, p))
            lens.append(n)
            owners.append(rec.request.case_id)
    preds = greedy_tokens(model, tok, prompts, lens, batch_size)
    out: dict[int, list[list[int]]] = defaultdict(list)
    for cid, p in zip(owners, preds):
        out[cid].append(p)
    return dict(out)


class _Batch:
    """Collects (prompt, target) pairs tagged with (record, key) and scores them in one go."""

    def __init__(self):
        self.prompts, self.targets, self.tags = [], [], []

    def add(self, tag, prompt: list[int], target: list[int]):
        self.prompts.append(prompt)
        self.targets.append(target)
        self.tags.append(tag)

    def run(self, model, tok, batch_size):
        scores = score_targets(model, tok, self.prompts, self.targets, batch_size)
        grouped = defaultdict(list)
        for tag, s in zip(self.tags, scores):
            grouped[tag].append(s)
        return grouped


def _mean(xs) -> float:
    xs = list(xs)
    return sum(xs) / len(xs) if xs else float("nan")


def counterfact_scores(model, tok, records: list[EditRecord], reference: dict[int, list[list[int]]] | None = None,
                       batch_size: int = 64) -> list[dict]:
    """Per-record CounterFact metrics (0/1 averages over each record's prompts, not yet x100)."""
    b = _Batch()
    for i, rec in enumerate(records):
        r = rec.request
        new, true = target_ids(tok, r.target_new), target_ids(tok, r.target_true)
        for kind, prompts in (("rw", [r.filled]), ("para", rec.paraphrase_prompts)):
            for p in prompts:
                ids = prompt_ids(tok, p)
                b.add((i, kind, "new"), ids, new)
                b.add((i, kind, "true"), ids, true)
        ref = reference.get(r.case_id) if reference is not None else None
        if reference is not None and (ref is None or len(ref) != len(rec.neighborhood_prompts)):
            raise KeyError(f"reference predictions missing or incomplete for case {r.case_id}")
        answer = target_ids(tok, rec.neighborhood_answer) if rec.neighborhood_answer else true
        for j, p in enumerate(rec.neighborhood_prompts):
            ids = prompt_ids(tok, p)
            b.add((i, "nb", "new"), ids, new)
            b.add((i, "nb", "ref"), ids, ref[j] if ref is not None else answer)
    g = b.run(model, tok, batch_size)
    out = []
    for i, rec in enumerate(records):
        row = {"case_id": rec.request.case_id}
        for kind, name in (("rw", "efficacy"), ("para", "generalization")):
            new, true = g[(i, kind, "new")], g[(i, kind, "true")]
            row[f"{name}_top"] = _mean(s.top for s in new)
            row[f"{name}_larger"] = _mean(a.nll < t.nll for a, t in zip(new, true))
        new, ref = g[(i, "nb", "new")], g[(i, "nb", "ref")]
        row["specificity_top"] = _mean(s.top for s in ref)
        row["specificity_larger"] = _mean(r.nll < a.nll for a, r in zip(new, ref))
        out.append(row)
    return out


def zsre_scores(model, tok, records: list[EditRecord], batch_size: int = 64) -> list[dict]:
    """Per-record ZsRE token accuracies (mean over target tokens, not yet x100)."""
    b = _Batch()
    for i, rec in enumerate(records):
        r = rec.request
        new = target_ids(tok, r.target_new)
        b.add((i, "efficacy"), prompt_ids(tok, r.filled), new)
        for p in rec.paraphrase_prompts:
            b.add((i, "generalization"), prompt_ids(tok, p), new)
        answer = target_ids(tok, rec.neighborhood_answer or r.target_true)
        for p in rec.neighborhood_prompts:
            b.add((i, "specificity"), prompt_ids(tok, p), answer)
    g = b.run(model, tok, batch_size)
    return [{"case_id": rec.request.case_id,
             **{m: _mean(h for s in g[(i, m)] for h in s.hits) for m in ZSRE_TOKEN_ACCURACY}}
            for i, rec in enumerate(records)]


def score_records(model, tok, records: list[EditRecord], reference=None, batch_size: int = 64,
                  generation: bool = True) -> list[dict]:
    """Dispatch on the records' dataset kind; `generation` adds the generation-based columns (GEN_METRICS)."""
    kinds = {r.dataset for r in records}
    if kinds == {"counterfact"}:
        rows = counterfact_scores(model, tok, records, reference, batch_size)
    elif kinds == {"zsre"}:
        rows = zsre_scores(model, tok, records, batch_size)
    else:
        raise ValueError(f"records must all be of one dataset kind, got {sorted(kinds)}")
    if generation:
        for row, gen in zip(rows, generation_scores(model, tok, records)):
            row.update(gen)
    return rows


def generation_scores(model, tok, records: list[EditRecord]) -> list[dict]:
    """Per record: the share of its rewrite prompt (efficacy_gen) and of its paraphrase prompts
    (generalization_gen) whose greedy continuation begins with the new object."""
    prompts, targets, tags = [], [], []
    for i, rec in enumerate(records):
        for kind, ps in (("efficacy_gen", [rec.request.filled]), ("generalization_gen", rec.paraphrase_prompts)):
            for p in ps:
                prompts.append(p)
                targets.append(rec.request.target_new)
                tags.append((i, kind))
    grouped = defaultdict(list)
    for tag, hit in zip(tags, generation_hits(model, tok, prompts, targets)):
        grouped[tag].append(hit)
    return [{m: _mean(grouped[(i, m)]) for m in GEN_METRICS} for i in range(len(records))]
