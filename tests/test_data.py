import json

import pytest

from deltaedit.data import RecordError, load_counterfact, load_records, load_zsre


def test_counterfact_rome_format_real_file(shared_data):
    recs = load_counterfact(shared_data / "counterfact/derived/counterfact_rome_format_reconstructed_1000.json")
    assert len(recs) == 1000
    r0 = recs[0]
    assert r0.request.subject == "Danielle Darrieux" and r0.request.prompt == "The mother tongue of {} is"
    assert r0.request.target_new == "English" and r0.request.target_true == "French"
    assert r0.request.filled == "The mother tongue of Danielle Darrieux is"
    assert len(r0.paraphrase_prompts) == 2 and len(r0.neighborhood_prompts) == 10
    assert all(r.dataset == "counterfact" for r in recs)


def test_counterfact_genuine_rome_samples(shared_data):
    recs = load_counterfact(shared_data / "counterfact/rome_format_samples/most_orthogonal.json", fmt="rome")
    assert [r.request.case_id for r in recs][:3] == [4088, 1356, 17593]
    assert recs[0].request.prompt == "{}, a citizen of"


def test_counterfact_easyedit_format_real_file(shared_data):
    recs = load_counterfact(shared_data / "counterfact/easyedit_format/counterfact-val.json")
    assert len(recs) == 1919
    for r in recs[:200]:
        assert r.request.prompt.count("{}") == 1
        assert r.request.filled.startswith(r.request.prompt.split("{}")[0])
        assert len(r.neighborhood_prompts) == 1 and r.neighborhood_answer


def test_zsre_real_file(shared_data):
    """The references' ZsRE dataset classes edit toward answers[0] and keep every record (docs/scores.md#zsre)."""
    path = shared_data / "zsre/zsre_mend_train-1k.json"
    raw = json.loads(path.read_text())
    recs = load_zsre(path)
    assert len(recs) == len(raw) == 1000                    # records 534 and 535 have an empty `alt`: still valid
    assert not raw[534]["alt"].strip() and recs[534].request.target_new == raw[534]["answers"][0]
    r = recs[0].request
    assert r.subject == "UniFirst" and r.filled == "What is the product made by UniFirst?"
    assert r.target_new == "uniform" != raw[0]["alt"]       # not MEND's "unmanned aircraft"
    assert all(rec.request.target_new == row["answers"][0] for rec, row in zip(recs, raw))
    assert recs[0].neighborhood_prompts[0] == "nq question: john goodman's character in the big lebowski?"
    assert recs[0].neighborhood_answer == "Walter Sobchak"
    assert [x.request.case_id for x in load_records(path, "zsre", limit=5)] == [0, 1, 2, 3, 4]


ROME_OK = {"case_id": 7, "requested_rewrite": {"prompt": "{} plays the", "subject": "Ann Lee",
                                                 "target_new": {"str": "harp"}, "target_true": {"str": "drum"}},
           "paraphrase_prompts": ["x. Ann Lee performs on the"], "neighborhood_prompts": ["Bo Ray plays the"]}
ZSRE_OK = {"subject": "Ann Lee", "src": "What does Ann Lee play?", "alt": "", "answers": ["harp"],
           "rephrase": "Ann Lee plays which instrument?", "loc": "nq question: who is Bo", "loc_ans": "a man"}


def _with(rec, dotted, value):
    rec = json.loads(json.dumps(rec))
    cur = rec
    parts = dotted.split(".")
    for p in parts[:-1]:
        cur = cur[p]
    if value is KeyError:
        del cur[parts[-1]]
    else:
        cur[parts[-1]] = value
    return rec


@pytest.mark.parametrize("field,value,msg", [
    ("requested_rewrite.subject", KeyError, "missing"),
    ("requested_rewrite.prompt", "Ann Lee plays the", "exactly one '{}'"),
    ("requested_rewrite.target_new.str", "  ", "empty"),
    ("requested_rewrite.target_true", KeyError, "missing"),
    ("paraphrase_prompts", "not a list", "expected list"),
    ("neighborhood_prompts", ["ok", ""], "non-empty strings"),
    ("requested_rewrite.target_new.str", "drum", "equals target_true"),
])
def test_malformed_counterfact_rome(tmp_path, field, value, msg):
    path = tmp_path / "cf.json"
    path.write_text(json.dumps([ROME_OK, _with(ROME_OK, field, value)]))
    with pytest.raises(RecordError, match=msg) as e:
        load_counterfact(path)
    assert e.value.index == 1 and e.value.field.startswith(field) and str(path) in str(e.value)


@pytest.mark.parametrize("field,value,msg", [
    ("subject", KeyError, "missing"),
    ("src", "What does Bob play?", "does not occur"),
    ("answers", [], "empty"),
    ("loc_ans", KeyError, "missing"),
])
def test_malformed_zsre(tmp_path, field, value, msg):
    path = tmp_path / "z.json"
    path.write_text(json.dumps([ZSRE_OK, ZSRE_OK, _with(ZSRE_OK, field, value)]))
    with pytest.raises(RecordError, match=msg) as e:
        load_zsre(path)
    assert e.value.index == 2 and e.value.field == field


def test_malformed_easyedit_subject_not_in_prompt(tmp_path):
    rec = {"case_id": 0, "prompt": "The mother tongue of X is", "subject": "Y", "target_new": "a",
           "ground_truth": "b", "rephrase_prompt": "r", "locality_prompt": "l", "locality_ground_truth": "b"}
    path = tmp_path / "e.json"
    path.write_text(json.dumps([rec]))
    with pytest.raises(RecordError, match="record 0: field 'prompt': subject 'Y' does not occur"):
        load_counterfact(path, fmt="easyedit")


def test_non_object_record_and_unknown_dataset(tmp_path):
    path = tmp_path / "x.json"
    path.write_text(json.dumps([ROME_OK, 5]))
    with pytest.raises(RecordError, match="record 1"):
        load_counterfact(path, fmt="rome")
    with pytest.raises(ValueError, match="unknown dataset 'wiki'"):
        load_records(path, "wiki")
