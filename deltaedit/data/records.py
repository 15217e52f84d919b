"""Readers for CounterFact (ROME and EasyEdit formats) and ZsRE (MEND format) -> EditRecord.

Every record is validated; a malformed one raises ``RecordError`` naming the file, the record index and
the field, and nothing is returned for the file (no partial lists).
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

from deltaedit.types import EditRecord, EditRequest

log = logging.getLogger(__name__)


class RecordError(ValueError):
    def __init__(self, path, index: int, field: str, problem: str):
        super().__init__(f"{path}: {problem}" if index < 0 else f"{path}: record {index}: field {field!r}: {problem}")
        self.path, self.index, self.field = str(path), index, field


class _Reader:
    """Field access with errors that name file, record and field."""

    def __init__(self, path, index: int, rec):
        if not isinstance(rec, dict):
            raise RecordError(path, index, "<record>", f"expected an object, got {type(rec).__name__}")
        self.path, self.index, self.rec = path, index, rec

    def err(self, field: str, problem: str) -> RecordError:
        return RecordError(self.path, self.index, field, problem)

    def get(self, dotted: str, kind=str, required: bool = True, nonempty: bool = True):
        cur = self.rec
        for part in dotted.split("."):
            if not isinstance(cur, dict) or part not in cur:
                if required:
                    raise self.err(dotted, "missing")
                return None
            cur = cur[part]
        if not isinstance(cur, kind):
            raise self.err(dotted, f"expected {kind.__name__}, got {type(cur).__name__}")
        if nonempty and kind is str and not cur.strip():
            raise self.err(dotted, "empty")
        if kind is list and any(not isinstance(x, str) or not x.strip() for x in cur):
            raise self.err(dotted, "must be a list of non-empty strings")
        return cur

    def template(self, dotted: str, subject: str) -> str:
        p = self.get(dotted)
        if p.count("{}") != 1:
            raise self.err(dotted, f"prompt must contain exactly one '{{}}' slot: {p!r}")
        return p

    def templated_from(self, dotted: str, subject: str) -> str:
        """A prompt with the subject written out -> template with ``{}`` (first occurrence)."""
        p = self.get(dotted)
        if subject not in p:
            raise self.err(dotted, f"subject {subject!r} does not occur in the prompt {p!r}")
        return p.replace(subject, "{}", 1)


def _read_json(path) -> list:
    """A JSON list (.json) or JSON lines (.jsonl); a truncated or non-JSON file names itself and the place."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"records file {path} does not exist")
    try:
        with path.open() as f:
            data = json.load(f) if path.suffix != ".jsonl" else [json.loads(line) for line in f if line.strip()]
    except json.JSONDecodeError as e:
        raise RecordError(path, -1, "<file>", f"not valid JSON ({e.msg} at line {e.lineno}, column {e.colno}; "
                                              "truncated?)") from None
    except UnicodeDecodeError as e:
        raise RecordError(path, -1, "<file>", f"not a text file ({e.reason})") from None
    if not isinstance(data, list):
        raise RecordError(path, -1, "<file>", "expected a JSON list of records")
    return data


def _counterfact_rome(path, i: int, rec) -> EditRecord:
    r = _Reader(path, i, rec)
    subject = r.get("requested_rewrite.subject")
    req = EditRequest(
        case_id=r.get("case_id", int, required=False) if "case_id" in rec else i,
        subject=subject,
        prompt=r.template("requested_rewrite.prompt", subject),
        target_new=r.get("requested_rewrite.target_new.str"),
        target_true=r.get("requested_rewrite.target_true.str"),
        relation_id=r.get("requested_rewrite.relation_id", required=False, nonempty=False),
    )
    if req.target_new.strip() == req.target_true.strip():
        raise r.err("requested_rewrite.target_new.str", "target_new equals target_true")
    return EditRecord(req, "counterfact",
                      paraphrase_prompts=tuple(r.get("paraphrase_prompts", list)),
                      neighborhood_prompts=tuple(r.get("neighborhood_prompts", list)),
                      attribute_prompts=tuple(r.get("attribute_prompts", list, required=False) or ()),
                      generation_prompts=tuple(r.get("generation_prompts", list, required=False) or ()))


def _counterfact_easyedit(path, i: int, rec) -> EditRecord:
    r = _Reader(path, i, rec)
    subject = r.get("subject")
    req = EditRequest(case_id=r.get("case_id", int) if "case_id" in rec else i, subject=subject,
                      prompt=r.templated_from("prompt", subject), target_new=r.get("target_new"),
                      target_true=r.get("ground_truth"))
    return EditRecord(req, "counterfact", paraphrase_prompts=(r.get("rephrase_prompt"),),
                      neighborhood_prompts=(r.get("locality_prompt"),),
                      neighborhood_answer=r.get("locality_ground_truth"))


def _parse_all(path, data: list, parse, on_invalid: str) -> list[EditRecord]:
    """Parse every record; on_invalid="raise" stops at the first bad one (nothing returned),
    "skip" logs each bad record with the same message and leaves it out."""
    if on_invalid not in ("raise", "skip"):
        raise ValueError(f"on_invalid must be 'raise' or 'skip', got {on_invalid!r}")
    out = []
    for i, rec in enumerate(data):
        try:
            out.append(parse(path, i, rec))
        except RecordError as e:
            if on_invalid == "raise":
                raise
            log.warning("skipping invalid record: %s", e)
    return out


def load_counterfact(path, fmt: str = "auto", limit: int | None = None, on_invalid: str = "raise") -> list[EditRecord]:
    """CounterFact / MultiCounterFact. `fmt`: "rome" (counterfact.json, multi_counterfact.json),
    "easyedit" (flat records with the subject written into the prompt) or "auto" (by the first record)."""
    data = _read_json(path)[:limit]
    return _parse_all(path, data, _counterfact_parser(data, fmt), on_invalid)


def _counterfact_parser(data: list, fmt: str):
    if fmt == "auto":
        fmt = "rome" if data and isinstance(data[0], dict) and "requested_rewrite" in data[0] else "easyedit"
    parse = {"rome": _counterfact_rome, "easyedit": _counterfact_easyedit}.get(fmt)
    if parse is None:
        raise ValueError(f"unknown CounterFact format {fmt!r}; expected 'rome', 'easyedit' or 'auto'")
    return parse


def load_zsre(path, limit: int | None = None, on_invalid: str = "raise") -> list[EditRecord]:
    """ZsRE in MEND format (zsre_mend_eval.json): question `src` about `subject`, edited toward
    `answers[0]` as the references' ZsRE datasets do (docs/scores.md#zsre), `rephrase`, and the locality
    question `loc` with its gold answer `loc_ans`. `alt` is MEND's training field: it is not read, so a
    record with an empty `alt` is a valid record. ZsRE's token accuracy has no "true" target; the
    request's `target_true` is `pred` (the model's answer MEND recorded) where present, for display only."""
    return _parse_all(path, _read_json(path)[:limit], _zsre_record, on_invalid)


def _zsre_record(path, i: int, rec) -> EditRecord:
    r = _Reader(path, i, rec)
    subject = r.get("subject")
    answers = r.get("answers", list)
    if not answers:
        raise r.err("answers", "empty")
    loc = r.get("loc")
    pred = r.get("pred", required=False, nonempty=False)
    req = EditRequest(case_id=rec.get("case_id", i), subject=subject, prompt=r.templated_from("src", subject),
                      target_new=answers[0], target_true=pred.strip() if pred and pred.strip() else None)
    return EditRecord(req, "zsre", paraphrase_prompts=(r.get("rephrase"),),
                      neighborhood_prompts=(loc if loc.endswith("?") else loc + "?",),
                      neighborhood_answer=r.get("loc_ans"))


def load_records(path, dataset: str, limit: int | None = None, on_invalid: str = "raise") -> list[EditRecord]:
    """The first `limit` records of a CounterFact or ZsRE file; `dataset` "auto" tells them apart by the
    first record's fields (the file is read once either way)."""
    if dataset not in ("counterfact", "zsre", "auto"):
        raise ValueError(f"unknown dataset {dataset!r}; expected 'counterfact', 'zsre' or 'auto'")
    data = _read_json(path)[:limit]
    if dataset == "auto":
        dataset = _detect_dataset(path, data)
    parse = _counterfact_parser(data, "auto") if dataset == "counterfact" else _zsre_record
    return _parse_all(path, data, parse, on_invalid)


def _detect_dataset(path, data: list) -> str:
    first = data[0] if data else None
    if isinstance(first, dict) and ("requested_rewrite" in first or "ground_truth" in first):
        return "counterfact"
    if isinstance(first, dict) and "src" in first and "answers" in first:
        return "zsre"
    raise RecordError(path, 0, "<record>", "neither a CounterFact (requested_rewrite / ground_truth) nor a ZsRE "
                                           "(src, answers) record")
