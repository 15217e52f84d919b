"""Offline stand-ins built from local files: a dataset from several record files, and C0's real-text corpus.

`merge_records` joins record files into one (CounterFact split over several files comes back whole, in
case_id order: the order of the references' multi_counterfact.json, docs/real-model.md#data).
`offline_corpus` writes real English text for C0 from AlphaEdit's GLUE/MMLU subsets and the MMLU files,
**minus every item that the general-capability tasks score**: C0 protects the keys of the text it is made
from (the paper, §3, eq. 7), so a corpus holding the scored items would flatter Fig. 3.
"""
from __future__ import annotations

import csv
import json
import random
from pathlib import Path

from deltaedit.data.files import write_json
from deltaedit.data.records import RecordError, _read_json


def merge_records(files: list[str | Path], out: str | Path) -> dict:
    """The records of `files` in one JSON list: sorted by case_id when every record has one (a case_id that
    occurs twice is an error naming both files), else in the given order. Returns what was merged."""
    merged, origin = [], {}
    for f in files:
        for i, rec in enumerate(_read_json(f)):
            cid = rec.get("case_id") if isinstance(rec, dict) else None
            if cid is not None:
                if cid in origin:
                    raise RecordError(f, i, "case_id", f"case_id {cid} also occurs in {origin[cid]}")
                origin[cid] = str(f)
            merged.append(rec)
    by_case_id = len(origin) == len(merged)
    if by_case_id:
        merged.sort(key=lambda r: r["case_id"])
    write_json(merged, out)
    return {"files": [str(f) for f in files], "records": len(merged), "order": "case_id" if by_case_id else "files"}


def _norm(text: str) -> str:
    return " ".join(str(text).split()).lower()


SCORED_SUBSETS = ("cola", "mmlu", "mrpc", "nli", "rte", "sst2")   # the paper's tasks (eval.general.PAPER_TASKS)


def _scored(glue_dir: Path) -> set[str]:
    """The normalised text of every item in the general-capability subsets (whether or not a task is run)."""
    keys = set()
    for name in SCORED_SUBSETS:
        for d in json.loads((glue_dir / f"{name}.json").read_text()):
            keys.add(_norm(d.get("question") or d.get("sentence") or d.get("sentence1", "") + " " + d.get("sentence2", "")))
    return keys


def offline_corpus(data_dir: str | Path, out: str | Path, seed: int = 0) -> dict:
    """C0's offline corpus, one document per line in a seeded order, from `data_dir` (the layout of the
    project's offline data: mmlu/{dev,test}/*.csv, glue_eval_alphaedit/json/*.json, glue_dev/rte_dev*.tsv):
    MMLU questions with their choices, the dialogue subset's conversations, the sentiment subset's
    sentences and RTE's dev pairs, each once; an item equal (case and spacing aside) to one of the
    general-capability subsets' items is left out. Returns the counts per source and the number left out."""
    data_dir = Path(data_dir)
    glue = data_dir / "glue_eval_alphaedit" / "json"
    if not glue.is_dir():
        raise FileNotFoundError(f"offline corpus: no {glue} (the general-capability subsets, to leave their items out)")
    scored = _scored(glue)
    docs: dict[str, list[tuple[str, str]]] = {}        # source -> [(key that would match a scored item, text)]
    for f in sorted((data_dir / "mmlu").glob("*/*.csv")):
        with open(f, newline="") as fh:
            for row in csv.DictReader(fh):
                choices = " ".join(row[f"choice{i}"] for i in range(4))
                docs.setdefault("mmlu", []).append((row["question"], f"{row['question']} {choices}"))
    for d in json.loads((glue / "dialogue.json").read_text()) if (glue / "dialogue.json").exists() else []:
        docs.setdefault("dialogue", []).append((d["article"], d["article"]))
    for d in json.loads((glue / "sentiment_analysis.json").read_text()) if (glue / "sentiment_analysis.json").exists() else []:
        docs.setdefault("sentiment", []).append((d["sentence"], d["sentence"]))
    for f in sorted((data_dir / "glue_dev").glob("rte_dev*.tsv")):
        with open(f, newline="") as fh:
            for row in csv.DictReader(fh, delimiter="\t"):
                pair = f"{row['sentence1']} {row['sentence2']}"
                docs.setdefault("rte_dev", []).append((pair, pair))
    if not docs:
        raise FileNotFoundError(f"offline corpus: no text found under {data_dir}")
    kept, counts, left_out, seen = [], {}, 0, set()
    for source, items in docs.items():
        keep = [" ".join(text.split()) for key, text in items if _norm(key) not in scored]
        left_out += len(items) - len(keep)
        keep = [t for t in keep if not (t.lower() in seen or seen.add(t.lower()))]   # a repeated item once
        counts[source] = len(keep)
        kept += keep
    random.Random(seed).shuffle(kept)                  # a prefix (stats.n_texts) then samples every source
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text("\n".join(kept) + "\n")
    return {"data_dir": str(data_dir), "documents": len(kept), "per_source": counts, "left_out_scored": left_out,
            "seed": seed}
