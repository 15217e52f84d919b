"""Memory estimates per rule and model, and the placement of a model over the GPUs of a job.

An estimate is a sum of named parts, each a closed form in the model's sizes (so it holds for GPT2-XL and
Llama3-8B without their weights):
  weights       n_params x bytes(dtype), plus the edited layers' matrices kept in fp32 when dtype is not
  c0            m² x 4 B per layer with key statistics
  method        AlphaEdit / DeltaEdit: Û (≤ m² x 4 B) and Ûᵀ Cp Û (m² x 8 B, fp64) per edited layer;
                DeltaEdit: Δ_hist d x m x 4 B and D = Δ_hist Δ_histᵀ d² x 8 B
  value_opt     the value optimisation's activations kept for the backward pass: prompts x tokens x layers
                x 34·d x bytes (the per-token, per-layer count of Korthikanti et al. 2022 without attention
                scores), plus fp32 logits prompts x tokens x vocab x 4 B
  scoring       the padded scoring batch's fp32 logits: batch x tokens x vocab x 4 B (64 prompts of 32 tokens)
  lm_eval       lm-eval's batch: 16 x context x vocab x 4 B (context: 512 tokens for the GLUE/MMLU prompts)
  stats         C0's forward batch: 3 x context tokens x (d + m) x 4 B per traced layer, plus C0 itself
The methods keep C0 and their states in host memory and move one layer's share to the device per solve
(`solve`), so the device estimate holds one layer's share and the host estimate all of them. Every part is
an upper-bound style estimate of the peak, not a measurement; `tests/test_placement.py` checks the sizes
against the published configs, and docs/memory.md sets them beside measured peaks.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

BYTES = {"float32": 4, "bfloat16": 2, "float16": 2}
GIB = 2 ** 30


@dataclass(frozen=True)
class Sizes:
    """What the estimates need of a model: hidden d, MLP width m, layers, vocabulary, context, parameters."""
    name: str
    d: int
    m: int
    n_layers: int
    vocab: int
    context: int
    n_params: int


def sizes_from_config(cfg, name: str = "") -> Sizes:
    """Sizes of a transformers GPT-2 or Llama config (no weights needed)."""
    mt = cfg.model_type
    if mt == "gpt2":
        d, m, n, v, ctx = cfg.n_embd, cfg.n_inner or 4 * cfg.n_embd, cfg.n_layer, cfg.vocab_size, cfg.n_positions
        per_layer = 4 * d * d + 4 * d + 2 * d * m + m + d + 4 * d       # attention (qkv + proj), MLP, 2 LayerNorms
        params = n * per_layer + v * d + ctx * d + 2 * d                 # tied embeddings, positions, final norm
    elif mt == "llama":
        d, m, n, v, ctx = (cfg.hidden_size, cfg.intermediate_size, cfg.num_hidden_layers, cfg.vocab_size,
                           cfg.max_position_embeddings)
        kv = d // cfg.num_attention_heads * (cfg.num_key_value_heads or cfg.num_attention_heads)
        per_layer = 2 * d * d + 2 * d * kv + 3 * d * m + 2 * d          # q, o, k, v; gate, up, down; 2 RMSNorms
        params = n * per_layer + v * d * (1 if cfg.tie_word_embeddings else 2) + d
    else:
        raise ValueError(f"no memory model for model_type {mt!r} (supported: gpt2, llama)")
    return Sizes(name or mt, d, m, n, v, ctx, params)


def estimate(s: Sizes, rule: str, dtype: str = "float32", edited_layers: int = 5, stats_layers: int = 5,
             method: str = "deltaedit", value_prompts: int = 7, value_tokens: int = 32) -> dict[str, dict[str, float]]:
    """{"gpu": {part: GiB}, "host": {part: GiB}} of one job of `rule` (edit_run, score_run, key_stats,
    general_unedited, reference_predictions, context_templates, analysis) on model `s`, each with a "total".

    The methods keep C0 and their per-layer state (AlphaEdit's basis Û and Ûᵀ Cp Û, DeltaEdit's Δ_hist) in host
    memory and move one layer's share to the device for its solve, so the device holds the weights, the
    activations and one layer's solve; the host holds the loaded weights once and the states of all layers."""
    if dtype not in BYTES:
        raise ValueError(f"dtype {dtype!r}: expected one of {sorted(BYTES)}")
    rule = {"eta_run": "edit_run", "score_eta": "score_run"}.get(rule, rule)    # the sweep's copies
    b = BYTES[dtype]
    weights = s.n_params * b + (edited_layers * s.d * s.m * (4 - b) if b < 4 else 0)
    gpu, host = {"weights": weights}, {"weights": weights}
    if rule == "edit_run":
        if method != "ft":
            host["c0"] = stats_layers * s.m ** 2 * 4
            gpu["solve"] = 2 * s.m ** 2 * 8                          # one layer: C0 (or Û) and the fp64 system
        if method in ("alphaedit", "deltaedit"):
            host["method"] = edited_layers * s.m ** 2 * (4 + 8)     # Û (fp32, ≤ m x m) and Ûᵀ Cp Û (fp64)
            gpu["solve"] = s.m ** 2 * (4 + 8) + s.m ** 2 * 8
        if method == "deltaedit":
            host["method"] += s.d * s.m * 4
            gpu["dhist"] = s.d * s.m * 4 + s.d ** 2 * 8              # Δ_hist and D = Δ_hist Δ_histᵀ
        gpu["value_opt"] = (value_prompts * value_tokens * s.n_layers * 34 * s.d * b
                            + value_prompts * value_tokens * s.vocab * 4)
    elif rule in ("score_run", "reference_predictions", "analysis", "context_templates"):
        gpu["scoring"] = 64 * 32 * s.vocab * 4
    elif rule == "general_unedited":
        gpu["lm_eval"] = 16 * 512 * s.vocab * 4
    elif rule == "key_stats":
        gpu["stats"] = 3 * s.context * (s.d + s.m) * 4 * stats_layers + stats_layers * s.m ** 2 * 8
        host["c0"] = stats_layers * s.m ** 2 * 4
    else:
        raise ValueError(f"no memory estimate for rule {rule!r}")
    if rule == "score_run":
        gpu["lm_eval"] = 16 * 512 * s.vocab * 4
    out = {}
    for where, parts in (("gpu", gpu), ("host", host)):
        out[where] = {k: v / GIB for k, v in parts.items()}
        out[where]["total"] = sum(out[where].values())
    return out


@dataclass(frozen=True)
class Placement:
    """n_gpus for a job and the per-GPU memory budget handed to `from_pretrained(device_map=...)`."""
    n_gpus: int
    max_memory_gib: float
    device_map: str | None          # None: one device; "auto": spread the blocks over n_gpus


def placement_plan(s: Sizes, gpu_gib: float, rule: str = "edit_run", dtype: str = "float32",
                   headroom: float = 0.9, **kw) -> Placement:
    """The fewest GPUs of `gpu_gib` each that hold the rule's estimate, `headroom` of each card usable. The
    weights are split by blocks; the working set (everything but the weights) stays on the first card, so
    the first card must hold it plus its share of the weights."""
    est = estimate(s, rule, dtype, **kw)["gpu"]
    usable = gpu_gib * headroom
    work = est["total"] - est["weights"]
    if work >= usable:
        raise ValueError(f"{s.name}: {rule} needs {work:.1f} GiB beside the weights, more than one "
                         f"{gpu_gib:g} GiB card can hold ({usable:.1f} usable)")
    if est["total"] <= usable:
        return Placement(1, gpu_gib * headroom, None)
    n = max(2, math.ceil(est["total"] / usable))
    while est["weights"] / n + work > usable:            # the first card carries the working set too
        n += 1
    return Placement(n, usable, "auto")


# The published configs' sizes (config.json of openai-community/gpt2-xl and meta-llama/Meta-Llama-3-8B-Instruct).
PUBLISHED = {
    "gpt2-xl": dict(model_type="gpt2", n_embd=1600, n_inner=None, n_layer=48, vocab_size=50257, n_positions=1024,
                    n_head=25),
    "llama3-8b": dict(model_type="llama", hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
                      vocab_size=128256, max_position_embeddings=8192, num_attention_heads=32,
                      num_key_value_heads=8, tie_word_embeddings=False),
}


def published_sizes(name: str) -> Sizes:
    """Sizes of GPT2-XL or Llama3-8B from their published configs (no download)."""
    from transformers import GPT2Config, LlamaConfig

    if name not in PUBLISHED:
        raise KeyError(f"unknown published model {name!r}; known: {sorted(PUBLISHED)}")
    kw = dict(PUBLISHED[name])
    cls = GPT2Config if kw.pop("model_type") == "gpt2" else LlamaConfig
    return sizes_from_config(cls(**kw), name)
