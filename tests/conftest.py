"""Shared fixtures: tiny random models built from configs (fixed seed, no download)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

torch.set_num_threads(int(os.environ.get("DELTAEDIT_TEST_THREADS", "2")))
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def tiny_gpt2(square: bool = False, seed: int = 0):
    from transformers import GPT2Config, GPT2LMHeadModel
    torch.manual_seed(seed)
    cfg = GPT2Config(vocab_size=64, n_positions=32, n_embd=16, n_layer=3, n_head=2,
                     n_inner=16 if square else 64, initializer_range=0.3,
                     bos_token_id=0, eos_token_id=0)
    return GPT2LMHeadModel(cfg).eval()


def tiny_llama(seed: int = 0):
    from transformers import LlamaConfig, LlamaForCausalLM
    torch.manual_seed(seed)
    cfg = LlamaConfig(vocab_size=64, hidden_size=16, intermediate_size=48, num_hidden_layers=3,
                      num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=32,
                      initializer_range=0.3, bos_token_id=0, eos_token_id=0, pad_token_id=0)
    return LlamaForCausalLM(cfg).eval()


# the CUDA path is checked where a GPU is present (CI has none; see README "Two commands")
CUDA = pytest.param("cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(),
                                                     reason="no CUDA device: this case checks the GPU path"))
DEVICES = ["cpu", CUDA]

MODEL_BUILDERS = {"gpt2": tiny_gpt2, "gpt2-square": lambda: tiny_gpt2(square=True), "llama": tiny_llama}


@pytest.fixture(params=sorted(MODEL_BUILDERS))
def tiny_model(request):
    return MODEL_BUILDERS[request.param]()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data directory {SHARED_DATA} is absent (CI provides it beside the repository)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def tiny_world(tmp_path_factory):
    """The tiny fact world with both models pretrained (about a minute each on 2 cores) and checked."""
    from deltaedit.factworld.build import build
    out = tmp_path_factory.mktemp("tiny_world")
    summary = build("tiny", out)
    return out, summary


@pytest.fixture(scope="session")
def world(tmp_path_factory):
    """The tiny world's files and tokenizer, and an untrained GPT-2 of the world's size saved like a trained one."""
    import json

    from deltaedit.factworld.build import get_preset, make_files
    from deltaedit.factworld.pretrain import build_model
    from deltaedit.models import load_tokenizer

    out = make_files("tiny", tmp_path_factory.mktemp("untrained"))
    p = get_preset("tiny")
    tok = load_tokenizer(out / "tokenizer")
    model = build_model(p.sizes["gpt2"], len(tok), seed=0)
    model.save_pretrained(out / "models/gpt2")
    tok.save_pretrained(out / "models/gpt2")
    (out / "models/gpt2/train_summary.json").write_text(json.dumps(
        {"arch": "gpt2", "n_params": sum(x.numel() for x in model.parameters()), "train_seconds": 0.0,
         "size": {"n_layer": 3, "d_model": 64, "d_mlp": 256}}))
    return out
