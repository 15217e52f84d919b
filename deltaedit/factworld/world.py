"""A seeded synthetic fact world: subjects with made-up names, facts, and text about them.

Design (docs/factworld.md; Allen-Zhu & Li, "Physics of Language Models 3.1"): a model stores a fact *at the
subject* — the premise of every locate-then-edit method — only when its pretraining text is augmented.
So the text is biographies, freshly sampled for every epoch: every attribute of a subject, sentence
order shuffled, template chosen at random per sentence, the full name in every sentence, and several
documents packed per training line so facts appear at many positions and after other world text.

Everything is drawn from ``random.Random(seed)`` over ordered lists: same seed, same world, same bytes.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from deltaedit.factworld.relations import FILLER, NAME_CODAS, NAME_ONSETS, NAME_VOWELS, RELATIONS, Relation


@dataclass(frozen=True)
class WorldSpec:
    n_subjects: int = 320
    n_relations: int = 12          # the first n of RELATIONS; every subject has all of them
    n_objects: int | None = None   # the first n objects of each relation's pool (None: all)
    seed: int = 0
    # A surname shared by several subjects makes their subject-last keys nearly equal at early layers,
    # so an edit of one reaches the others (20 sequential edits on the default GPT-2 world: neighbours
    # sharing an edited subject's surname failed 51% of the time, others 8%). True: one surname each.
    unique_surnames: bool = False
    # Subjects that no record edits (the last n in subject order). Neighbourhood prompts come from them,
    # as CounterFact's neighbours are other entities than the ones edited; 0: every subject is editable.
    n_bystanders: int = 0

    def __post_init__(self):
        if not 1 <= self.n_relations <= len(RELATIONS):
            raise ValueError(f"n_relations must be in 1..{len(RELATIONS)}, got {self.n_relations}")
        if self.n_subjects < 2:
            raise ValueError(f"n_subjects must be >= 2, got {self.n_subjects}")
        if not 0 <= self.n_bystanders < self.n_subjects:
            raise ValueError(f"n_bystanders must be in 0..n_subjects-1, got {self.n_bystanders}")


@dataclass
class World:
    spec: WorldSpec
    subjects: list[str]
    relations: tuple[Relation, ...]
    facts: dict[str, dict[str, str]] = field(default_factory=dict)  # subject -> relation id -> object

    def relation(self, rid: str) -> Relation:
        return next(r for r in self.relations if r.rid == rid)

    @property
    def editable(self) -> list[str]:
        return self.subjects[: len(self.subjects) - self.spec.n_bystanders]

    @property
    def bystanders(self) -> list[str]:
        """Subjects never edited (every subject when the world has no bystanders)."""
        return self.subjects[len(self.subjects) - self.spec.n_bystanders:] if self.spec.n_bystanders else self.subjects

    def holders(self, rid: str, obj: str, among: list[str] | None = None) -> list[str]:
        """Subjects (of `among`, default all) whose `rid` attribute is `obj`, in subject order."""
        return [s for s in (self.subjects if among is None else among) if self.facts[s][rid] == obj]


def _name_part(rng: random.Random) -> str:
    syllables = [rng.choice(NAME_ONSETS) + rng.choice(NAME_VOWELS) + rng.choice(NAME_CODAS)
                 for _ in range(rng.choice((1, 2, 2)))]
    return "".join(syllables).capitalize()


def make_world(spec: WorldSpec) -> World:
    """Draw subjects (unique "First Last" names) and one object per (subject, relation)."""
    rng = random.Random(spec.seed)
    firsts = _unique_parts(rng, max(8, spec.n_subjects // 4))
    n_lasts = spec.n_subjects if spec.unique_surnames else max(8, spec.n_subjects // 2)
    lasts = _unique_parts(rng, n_lasts, exclude=tuple(firsts))
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < spec.n_subjects:
        last = lasts[len(names)] if spec.unique_surnames else rng.choice(lasts)
        name = f"{rng.choice(firsts)} {last}"
        if name not in seen:
            seen.add(name)
            names.append(name)
    relations = tuple(Relation(r.rid, r.templates, r.question, r.objects[: spec.n_objects])
                      for r in RELATIONS[: spec.n_relations])
    # Balanced assignment: every object is held by about n_subjects / n_objects subjects, so every
    # fact has enough neighbours (other subjects, same relation, same object) for specificity prompts.
    facts: dict[str, dict[str, str]] = {s: {} for s in names}
    for r in relations:
        pool = [r.objects[i % len(r.objects)] for i in range(len(names))]
        rng.shuffle(pool)
        for s, o in zip(names, pool):
            facts[s][r.rid] = o
    return World(spec, names, relations, facts)


def _unique_parts(rng: random.Random, n: int, exclude: tuple[str, ...] = ()) -> list[str]:
    """`n` name parts, prefix-free among themselves and `exclude`, so that no subject's name is a
    substring of another's (a prompt then names exactly one subject)."""
    out: list[str] = []
    seen = list(exclude)
    while len(out) < n:
        p = _name_part(rng)
        if not any(p.startswith(q) or q.startswith(p) for q in seen):
            seen.append(p)
            out.append(p)
    return out


def fact_sentence(rel: Relation, subject: str, obj: str, rng: random.Random) -> str:
    """One sentence stating a fact, with a random template or, sometimes, the question form."""
    if rng.random() < 0.15:
        return f"{rel.question.format(subject)} {obj}."
    return f"{rng.choice(rel.templates).format(subject)} {obj}."


def biography(world: World, subject: str, rng: random.Random) -> str:
    """All attributes of `subject`, shuffled, each with a random template; sometimes a filler line."""
    sentences = [fact_sentence(r, subject, world.facts[subject][r.rid], rng) for r in world.relations]
    rng.shuffle(sentences)
    if rng.random() < 0.3:
        sentences.insert(rng.randrange(len(sentences) + 1), rng.choice(FILLER))
    return " ".join(sentences)


def mixed_document(world: World, rng: random.Random, n_sentences: int) -> str:
    """Fact sentences about several random subjects in a row: the model then also sees a fact right
    after text about someone else, as in CounterFact's paraphrase prompts (prefix sentence + fact)."""
    out = []
    for _ in range(n_sentences):
        s, r = rng.choice(world.subjects), rng.choice(world.relations)
        out.append(fact_sentence(r, s, world.facts[s][r.rid], rng))
    return " ".join(out)


def corpus_epoch(world: World, rng: random.Random, docs_per_subject: int = 1, mixed_share: float = 0.5) -> list[str]:
    """A fresh set of documents in a shuffled order: `docs_per_subject` biographies per subject plus
    `mixed_share` x n_subjects mixed documents."""
    docs = [biography(world, s, rng) for s in world.subjects for _ in range(docs_per_subject)]
    n_rel = len(world.relations)
    docs += [mixed_document(world, rng, n_rel) for _ in range(round(mixed_share * len(world.subjects)))]
    rng.shuffle(docs)
    return docs


def background_corpus(world: World, seed: int, n_docs: int) -> list[str]:
    """General text of the world for covariance statistics: biographies drawn with their own seed,
    partial biographies and filler, not the evaluation prompts themselves."""
    rng = random.Random(seed)
    out: list[str] = []
    for _ in range(n_docs):
        subject = rng.choice(world.subjects)
        bio = biography(world, subject, rng).split(". ")
        keep = bio[: rng.randint(2, len(bio))]
        out.append(". ".join(keep).rstrip(".") + ". " + rng.choice(FILLER))
    return out
