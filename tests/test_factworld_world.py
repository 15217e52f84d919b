"""The fact world's generator: determinism, formats, and the properties the records need."""
import hashlib

import pytest

from deltaedit.data import load_counterfact, load_zsre
from deltaedit.factworld.build import write_world
from deltaedit.factworld.records import counterfact_records, zsre_records
from deltaedit.factworld.relations import RELATIONS
from deltaedit.factworld.world import WorldSpec, biography, make_world


def _digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_same_seed_same_bytes_other_seed_other_world(tmp_path):
    spec = WorldSpec(n_subjects=60, n_relations=12, seed=3)
    write_world(make_world(spec), tmp_path / "a", 50, 3)
    write_world(make_world(spec), tmp_path / "b", 50, 3)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    write_world(make_world(WorldSpec(n_subjects=60, n_relations=12, seed=4)), tmp_path / "c", 50, 4)
    assert _digest(tmp_path / "a")["world.json"] != _digest(tmp_path / "c")["world.json"]


def test_world_shape():
    w = make_world(WorldSpec(n_subjects=200, n_relations=12, seed=0))
    assert len(w.relations) >= 10 and all(len(r.templates) >= 3 for r in w.relations)
    assert len(set(w.subjects)) == 200 and all(len(s.split()) == 2 for s in w.subjects)
    assert any(" " in o for r in w.relations for o in r.objects)           # multi-token objects exist
    assert all(len(w.facts[s]) == 12 for s in w.subjects)                   # several attributes per subject
    pools = [set(r.objects) for r in RELATIONS]
    assert sum(len(p) for p in pools) == len(set().union(*pools))           # pools are disjoint


def test_biography_states_every_attribute_with_full_name():
    import random
    w = make_world(WorldSpec(n_subjects=20, n_relations=12, seed=0))
    s = w.subjects[0]
    bio = biography(w, s, random.Random(0))
    for r in w.relations:
        assert f" {w.facts[s][r.rid]}." in bio
    assert bio.count(s) >= 12


def test_counterfact_records_are_well_formed(tmp_path):
    w = make_world(WorldSpec(n_subjects=120, n_relations=12, seed=0))
    write_world(w, tmp_path, 20, 0)
    recs = load_counterfact(tmp_path / "counterfact.json")
    assert len(recs) == 120 * 12
    for rec in recs:
        r = rec.request
        assert r.target_new != r.target_true and w.facts[r.subject][r.relation_id] == r.target_true
        assert len(rec.paraphrase_prompts) >= 2 and len(rec.neighborhood_prompts) >= 5
        for p in rec.paraphrase_prompts:
            assert p.index(r.subject) > 0 and ". " in p                     # a world sentence, then the fact
        for p in rec.neighborhood_prompts:
            assert r.subject not in p
        assert rec.attribute_prompts and rec.generation_prompts
    zs = load_zsre(tmp_path / "zsre.json")
    assert len(zs) == len(recs) and zs[0].neighborhood_answer
    for z in zs:                                   # the edit target is a counterfactual, the true object is `pred`
        r = z.request
        rel = next(x for x in w.relations if x.question == r.prompt)
        assert r.target_new != r.target_true == w.facts[r.subject][rel.rid] and r.target_new in rel.objects
    bg = (tmp_path / "background.txt").read_text().splitlines()
    prompts = {r.request.filled for r in recs}
    assert len(bg) == 20 and not any(line in prompts for line in bg)


def test_neighbours_share_relation_and_true_object():
    w = make_world(WorldSpec(n_subjects=100, n_relations=12, seed=1))
    for rec in counterfact_records(w)[:50]:
        rr = rec["requested_rewrite"]
        rel = w.relation(rr["relation_id"])
        for p in rec["neighborhood_prompts"]:
            other = next(s for s in w.subjects if s in p)
            assert w.facts[other][rel.rid] == rr["target_true"]["str"]


def test_no_prompt_is_a_prefix_of_another():
    """A template that is the start of another ("born in" / "born in the town of") makes the main prompt
    ambiguous: the model then rightly predicts the longer template's next word instead of the object."""
    prompts = [t.format("S") for r in RELATIONS for t in r.templates] + [r.question.format("S") for r in RELATIONS]
    assert not [(a, b) for a in prompts for b in prompts if a != b and b.startswith(a + " ")]


def test_unique_surnames_and_bystanders():
    """The small world's options: one surname per subject; records only edit the editable subjects, and
    neighbourhood prompts and ZsRE's unrelated questions name only bystanders (never-edited subjects)."""
    w = make_world(WorldSpec(n_subjects=60, n_relations=6, n_objects=4, seed=2, unique_surnames=True, n_bystanders=30))
    surnames = [s.split()[-1] for s in w.subjects]
    assert len(set(surnames)) == len(surnames)
    assert w.editable == w.subjects[:30] and w.bystanders == w.subjects[30:]
    cf, zs = counterfact_records(w, 2), zsre_records(w, 2)
    assert len(cf) == len(zs) == 30 * 6
    assert {r["requested_rewrite"]["subject"] for r in cf} == set(w.editable)
    for r in cf:
        for p in r["neighborhood_prompts"]:
            assert [s for s in w.subjects if s in p][0] in w.bystanders, p
    assert all(any(s in r["loc"] for s in w.bystanders) for r in zs)
    with pytest.raises(ValueError, match="n_bystanders"):
        WorldSpec(n_subjects=10, n_bystanders=10)


def test_tuning_sibling_is_the_small_world_with_other_subjects():
    """Hparams of the small world are chosen on its sibling (PROTOCOL v1, change log): the same spec, sizes and
    training, another seed, and not one subject in common, so no tuning record is a record the study scores."""
    from dataclasses import replace

    from deltaedit.factworld.build import get_preset

    small, sibling = get_preset("small"), get_preset("small-tune")
    assert sibling.world.seed != small.world.seed
    assert replace(sibling, world=small.world) == small
    a, b = make_world(small.world), make_world(sibling.world)
    assert len(b.subjects) == len(a.subjects) and not set(a.subjects) & set(b.subjects)
