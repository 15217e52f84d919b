"""Offline stand-ins (deltaedit.data.local): datasets joined from local files, C0's corpus minus scored items."""
import json
from pathlib import Path

import pytest

from deltaedit.data import RecordError, load_records
from deltaedit.data.local import SCORED_SUBSETS, merge_records, offline_corpus
from deltaedit.eval.general import PAPER_TASKS

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def _cf(case_id, subject="Danielle Darrieux"):
    return {"case_id": case_id, "prompt": f"The mother tongue of {subject} is", "subject": subject,
            "target_new": "English", "ground_truth": "French", "rephrase_prompt": f"{subject} speaks",
            "locality_prompt": "The mother tongue of Léon Blum is", "locality_ground_truth": "French"}


def test_split_files_come_back_whole_in_case_id_order(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps([_cf(3), _cf(0)]))
    b.write_text(json.dumps([_cf(2), _cf(1)]))
    info = merge_records([a, b], tmp_path / "all.json")
    assert info["records"] == 4 and info["order"] == "case_id"
    assert [r.request.case_id for r in load_records(tmp_path / "all.json", "counterfact")] == [0, 1, 2, 3]


def test_a_case_id_in_two_files_names_both(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps([_cf(0)]))
    b.write_text(json.dumps([_cf(0)]))
    with pytest.raises(RecordError, match="case_id 0 also occurs in .*a.json"):
        merge_records([a, b], tmp_path / "all.json")
    assert not (tmp_path / "all.json").exists()


def test_records_without_case_ids_keep_the_files_order(tmp_path):
    a = tmp_path / "z.json"
    a.write_text(json.dumps([{"src": "q2"}, {"src": "q1"}]))
    assert merge_records([a], tmp_path / "out.json")["order"] == "files"
    assert json.loads((tmp_path / "out.json").read_text()) == [{"src": "q2"}, {"src": "q1"}]


def _fake_data(root: Path):
    glue = root / "glue_eval_alphaedit" / "json"
    glue.mkdir(parents=True)
    for name in SCORED_SUBSETS:
        (glue / f"{name}.json").write_text("[]")
    (glue / "mmlu.json").write_text(json.dumps([{"question": "What is  2+2?", "choices": list("abcd"), "answer": 0}]))
    (glue / "sst2.json").write_text(json.dumps([{"sentence": "a fine film", "label": 1}]))
    (glue / "sentiment_analysis.json").write_text(json.dumps([{"sentence": "A fine  film", "label": "1"},
                                                              {"sentence": "a dull film", "label": "0"}]))
    (root / "mmlu" / "test").mkdir(parents=True)
    (root / "mmlu" / "test" / "x_test.csv").write_text(
        "question,choice0,choice1,choice2,choice3,answer\nwhat is 2+2?,1,2,3,4,3\nWho wrote Hamlet?,Shakespeare,b,c,d,0\n")


def test_the_offline_corpus_leaves_out_every_scored_item(tmp_path):
    _fake_data(tmp_path / "data")
    info = offline_corpus(tmp_path / "data", tmp_path / "c0.txt")
    lines = (tmp_path / "c0.txt").read_text().splitlines()
    assert sorted(lines) == ["Who wrote Hamlet? Shakespeare b c d", "a dull film"]   # case and spacing aside
    assert info["left_out_scored"] == 2 and info["per_source"] == {"mmlu": 1, "sentiment": 1}
    assert set(SCORED_SUBSETS) == set(PAPER_TASKS)


def test_the_offline_corpus_needs_the_scored_subsets(tmp_path):
    with pytest.raises(FileNotFoundError, match="glue_eval_alphaedit"):
        offline_corpus(tmp_path, tmp_path / "c0.txt")


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data (the offline data) is not beside the repository")
def test_the_offline_corpus_of_the_shared_data_has_no_scored_item(tmp_path):
    info = offline_corpus(SHARED, tmp_path / "c0.txt")
    lines = set((tmp_path / "c0.txt").read_text().splitlines())
    assert info["documents"] == len(lines) > 10_000
    sst2 = json.loads((SHARED / "glue_eval_alphaedit/json/sst2.json").read_text())
    assert not any(" ".join(d["sentence"].split()) in lines for d in sst2)
