"""Build a fact world end to end: world files, tokenizer, pretrained models, and the bar's measurements.

Layout written under `out_dir`::

    world.json                      the world (subjects, relations, facts) and its spec
    counterfact.json                CounterFact-format records (one per fact)
    zsre.json                       ZsRE (MEND) format records
    background.txt                  background corpus for covariance statistics (one document per line)
    models/<arch>/                  save_pretrained model + tokenizer + train_summary.json
    models/<arch>/checks.json       accuracy and editability curve
"""
from __future__ import annotations

import json
import logging
import random
from dataclasses import asdict, dataclass
from pathlib import Path

from deltaedit.factworld.pretrain import ModelSize, TrainConfig, pretrain, train_tokenizer
from deltaedit.factworld.records import counterfact_records, write_json, zsre_records
from deltaedit.factworld.world import World, WorldSpec, background_corpus, corpus_epoch, make_world

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Preset:
    world: WorldSpec
    sizes: dict[str, ModelSize]
    train: TrainConfig
    n_background: int
    editability_facts: int


PRESETS: dict[str, Preset] = {
    "default": Preset(WorldSpec(n_subjects=320, n_relations=12, seed=0),
                      {"gpt2": ModelSize("gpt2", 6, 256, 4, 1024), "llama": ModelSize("llama", 6, 256, 4, 1024)},
                      TrainConfig(epochs=90, batch_size=16, lr=3e-3, warmup_steps=200), n_background=4000, editability_facts=200),
    "tiny": Preset(WorldSpec(n_subjects=48, n_relations=6, n_objects=6, seed=0),
                   {"gpt2": ModelSize("gpt2", 3, 64, 4, 256, 128), "llama": ModelSize("llama", 3, 64, 4, 256, 128)},
                   TrainConfig(epochs=300, batch_size=16, block_size=64, lr=5e-3, warmup_steps=30, vocab_size=512),
                   n_background=300, editability_facts=40),
}


def get_preset(name: str) -> Preset:
    if name not in PRESETS:
        raise KeyError(f"unknown fact-world preset {name!r}; known: {', '.join(sorted(PRESETS))}")
    return PRESETS[name]


def write_world(world: World, out_dir: Path, n_background: int, seed: int) -> None:
    """World files only (no training): deterministic bytes for a given spec."""
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json({"spec": asdict(world.spec), "subjects": world.subjects,
                "relations": [asdict(r) for r in world.relations], "facts": world.facts}, out_dir / "world.json")
    write_json(counterfact_records(world, seed), out_dir / "counterfact.json")
    write_json(zsre_records(world, seed), out_dir / "zsre.json")
    (out_dir / "background.txt").write_text("\n".join(background_corpus(world, seed + 7, n_background)) + "\n")


def tokenizer_texts(world: World, seed: int) -> list[str]:
    rng = random.Random(seed + 11)
    return [d for _ in range(3) for d in corpus_epoch(world, rng)]


def build(preset: str | Preset, out_dir: str | Path, archs: tuple[str, ...] = ("gpt2", "llama"),
          check: bool = True) -> dict:
    """Write the world, train one shared tokenizer and one model per architecture, measure the bar.

    Returns (and writes to ``summary.json``) sizes, accuracies, editability curves and times."""
    from deltaedit.data import load_counterfact
    from deltaedit.factworld.checks import editability, fact_accuracy

    p = get_preset(preset) if isinstance(preset, str) else preset
    out = Path(out_dir)
    world = make_world(p.world)
    write_world(world, out, p.n_background, p.world.seed)
    tok = train_tokenizer(tokenizer_texts(world, p.world.seed), p.train.vocab_size)
    records = load_counterfact(out / "counterfact.json")
    summary = {"world": {"subjects": len(world.subjects), "relations": len(world.relations),
                         "facts": len(records), "vocab": len(tok)}, "models": {}}
    for arch in archs:
        model_dir = out / "models" / arch
        model, info = pretrain(world, tok, p.sizes[arch], p.train, model_dir)
        if check:
            info["accuracy"] = fact_accuracy(model, tok, records)
            curve = editability(model, tok, records, n_facts=p.editability_facts, seed=p.world.seed)
            info["editability"] = {str(k): v for k, v in curve.items()}
            best = max(curve, key=curve.get)
            info["best_edit_layer"] = best
            log.info("%s: accuracy %s, editability %s", arch, info["accuracy"], curve)
            write_json({k: info[k] for k in ("accuracy", "editability", "best_edit_layer")}, model_dir / "checks.json")
        summary["models"][arch] = info
    write_json(summary, out / "summary.json")
    return summary
