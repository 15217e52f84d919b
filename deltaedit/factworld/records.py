"""Write the fact world as CounterFact-format and ZsRE-format files (read back by deltaedit.data).

CounterFact records are built like the real ones: the main prompt is template 0 of the relation; each
paraphrase prompt is a sentence of the world (a fact about someone else) followed by another template;
neighbourhood prompts are other subjects with the same relation and the same true object (bystanders,
never edited, when the world has them); attribute prompts are subjects that hold the new object. One
record per fact of an editable subject, in a seeded order.
"""
from __future__ import annotations

import random

from deltaedit.factworld.world import World, fact_sentence


def _new_object(world: World, rid: str, true: str, rng: random.Random) -> str:
    return rng.choice([o for o in world.relation(rid).objects if o != true])


def _facts_in_order(world: World, seed: int) -> list[tuple[str, str]]:
    facts = [(s, r.rid) for s in world.editable for r in world.relations]
    random.Random(seed).shuffle(facts)
    return facts


def counterfact_records(world: World, seed: int = 0, n_neighbours: int = 10) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for case_id, (s, rid) in enumerate(_facts_in_order(world, seed)):
        rel = world.relation(rid)
        true = world.facts[s][rid]
        new = _new_object(world, rid, true, rng)
        para = []
        for tmpl in rng.sample(rel.templates[1:], 2):
            other = rng.choice([x for x in world.subjects if x != s])
            r2 = rng.choice(world.relations)
            para.append(f"{fact_sentence(r2, other, world.facts[other][r2.rid], rng)} {tmpl.format(s)}")
        neigh = [x for x in world.holders(rid, true, world.bystanders) if x != s]
        attr = [x for x in world.holders(rid, new)]
        out.append({
            "case_id": case_id,
            "requested_rewrite": {"prompt": rel.templates[0], "relation_id": rid, "subject": s,
                                  "target_new": {"str": new, "id": f"{rid}:{rel.objects.index(new)}"},
                                  "target_true": {"str": true, "id": f"{rid}:{rel.objects.index(true)}"}},
            "paraphrase_prompts": para,
            "neighborhood_prompts": [rng.choice(rel.templates).format(x)
                                     for x in rng.sample(neigh, min(n_neighbours, len(neigh)))],
            "attribute_prompts": [rel.templates[0].format(x) for x in rng.sample(attr, min(n_neighbours, len(attr)))],
            "generation_prompts": [t.format(s) for t in rel.templates] + [rel.question.format(s)],
        })
    return out


def zsre_records(world: World, seed: int = 0) -> list[dict]:
    """MEND-format records: a question, the edit target `answers[0]` (a new object the model does not know
    yet: the references edit toward `answers[0]`), the true object as `pred`, a rephrase, and an unrelated
    question (`loc`) about another subject with its true answer `loc_ans`. `alt` repeats the new object."""
    rng = random.Random(seed + 1)
    out = []
    for case_id, (s, rid) in enumerate(_facts_in_order(world, seed)):
        rel = world.relation(rid)
        true = world.facts[s][rid]
        new = _new_object(world, rid, true, rng)
        other = rng.choice([x for x in world.bystanders if x != s])
        r2 = rng.choice(world.relations)
        src = rel.question.format(s)
        out.append({"case_id": case_id, "subject": s, "src": src, "pred": true, "rephrase": rel.templates[1].format(s),
                    "alt": new, "answers": [new], "loc": r2.question.format(other),
                    "loc_ans": world.facts[other][r2.rid], "cond": f"{true} >> {new} || {src}"})
    return out
