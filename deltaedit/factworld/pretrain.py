"""Pretrain small GPT-2 / Llama models from scratch on the fact world (CPU-friendly).

The tokenizer is a byte-level BPE trained on world text. It is wrapped so that it returns only
``input_ids`` and ``attention_mask``: a bare ``PreTrainedTokenizerFast`` also returns
``token_type_ids``, which GPT-2 embeds, silently running the model off-distribution (docs/factworld.md).
Models are saved with ``save_pretrained`` so they load exactly like hub models via ``load_model``.
"""
from __future__ import annotations

import json
import logging
import math
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from tqdm.auto import tqdm

from deltaedit.factworld.world import World, corpus_epoch

log = logging.getLogger(__name__)
EOS = "<|endoftext|>"


@dataclass(frozen=True)
class ModelSize:
    arch: str = "gpt2"         # "gpt2" or "llama"
    n_layer: int = 6
    d_model: int = 256
    n_head: int = 4
    d_mlp: int = 1024
    n_positions: int = 256


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 60            # one epoch = one fresh biography per subject (x docs_per_subject)
    docs_per_subject: int = 1
    block_size: int = 128
    batch_size: int = 32
    lr: float = 2e-3
    min_lr_ratio: float = 0.05
    warmup_steps: int = 100
    weight_decay: float = 0.1
    vocab_size: int = 2048
    seed: int = 0
    threads: int = 2


def train_tokenizer(texts: list[str], vocab_size: int):
    """Byte-level BPE on `texts`, wrapped as a fast HF tokenizer with right padding and pad = eos."""
    from tokenizers import ByteLevelBPETokenizer
    from transformers import PreTrainedTokenizerFast

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(texts, vocab_size=vocab_size, min_frequency=2, special_tokens=[EOS], show_progress=False)
    tok = PreTrainedTokenizerFast(tokenizer_object=bpe._tokenizer, bos_token=EOS, eos_token=EOS, unk_token=EOS,
                                  pad_token=EOS, model_input_names=["input_ids", "attention_mask"],
                                  padding_side="right")
    return tok


def build_model(size: ModelSize, vocab_size: int, seed: int):
    """A freshly initialised GPT2LMHeadModel or LlamaForCausalLM of the given size."""
    from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    if size.arch == "gpt2":
        cfg = GPT2Config(vocab_size=vocab_size, n_positions=size.n_positions, n_embd=size.d_model,
                         n_layer=size.n_layer, n_head=size.n_head, n_inner=size.d_mlp, bos_token_id=0,
                         eos_token_id=0, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
        return GPT2LMHeadModel(cfg)
    if size.arch == "llama":
        cfg = LlamaConfig(vocab_size=vocab_size, hidden_size=size.d_model, intermediate_size=size.d_mlp,
                          num_hidden_layers=size.n_layer, num_attention_heads=size.n_head,
                          num_key_value_heads=size.n_head, max_position_embeddings=size.n_positions,
                          bos_token_id=0, eos_token_id=0, pad_token_id=0, tie_word_embeddings=True)
        return LlamaForCausalLM(cfg)
    raise ValueError(f"unknown architecture {size.arch!r}; expected 'gpt2' or 'llama'")


def _blocks(docs: list[str], tok, block_size: int, rng: random.Random) -> torch.Tensor:
    """Join documents with EOS and cut the token stream into [n_blocks, block_size]."""
    ids: list[int] = []
    for enc in tok(docs, add_special_tokens=False)["input_ids"]:
        ids.extend(enc)
        ids.append(tok.eos_token_id)
    n = len(ids) // block_size
    blocks = torch.tensor(ids[: n * block_size], dtype=torch.long).view(n, block_size)
    order = list(range(n))
    rng.shuffle(order)
    return blocks[order]


def pretrain(world: World, tok, size: ModelSize, cfg: TrainConfig, out_dir: str | Path, eval_fn=None):
    """Train a model on freshly sampled biographies every epoch; save model + tokenizer to `out_dir`.

    `eval_fn(model) -> dict`, if given, is called after the last epoch and its result is stored in
    ``train_summary.json`` next to the weights, together with the sizes and the wall time.
    """
    torch.set_num_threads(cfg.threads)
    rng = random.Random(cfg.seed)
    model = build_model(size, len(tok), cfg.seed)
    n_params = sum(p.numel() for p in model.parameters())
    log.info("pretraining %s with %.2fM parameters", size.arch, n_params / 1e6)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=cfg.lr, betas=(0.9, 0.98))
    tokens_per_epoch = _blocks(corpus_epoch(world, random.Random(-1), cfg.docs_per_subject), tok,
                               cfg.block_size, random.Random(-1)).numel()
    steps_per_epoch = max(1, tokens_per_epoch // (cfg.block_size * cfg.batch_size))
    total = steps_per_epoch * cfg.epochs

    def lr_at(step: int) -> float:  # linear warm-up, cosine decay to min_lr_ratio
        if step < cfg.warmup_steps:
            return cfg.lr * (step + 1) / cfg.warmup_steps
        frac = min(1.0, (step - cfg.warmup_steps) / max(1, total - cfg.warmup_steps))
        return cfg.lr * (cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * frac)))

    model.train()
    start, step = time.time(), 0
    bar = tqdm(total=total, desc=f"pretrain {size.arch}", unit="step")
    for epoch in range(cfg.epochs):
        blocks = _blocks(corpus_epoch(world, rng, cfg.docs_per_subject), tok, cfg.block_size, rng)
        for i in range(0, min(len(blocks), steps_per_epoch * cfg.batch_size), cfg.batch_size):
            batch = blocks[i: i + cfg.batch_size]
            for g in opt.param_groups:
                g["lr"] = lr_at(step)
            loss = model(input_ids=batch, labels=batch).loss
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            step += 1
            bar.update(1)
            bar.set_postfix(epoch=epoch, loss=f"{loss.item():.3f}")
        log.info("epoch %d loss %.4f (%.0fs)", epoch, loss.item(), time.time() - start)
    bar.close()
    model.eval()
    seconds = time.time() - start
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    summary = {"arch": size.arch, "n_params": n_params, "train_seconds": round(seconds, 1), "steps": step,
               "size": asdict(size), "train": asdict(cfg)}
    if eval_fn is not None:
        summary["eval"] = eval_fn(model)
    (out / "train_summary.json").write_text(json.dumps(summary, indent=2))
    return model, summary
