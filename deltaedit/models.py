"""Architecture adapters: the only place that knows module names and weight orientation.

Everything else thinks in the math orientation of docs/methods.md#conventions: the edited matrix W ∈ R^{d×m}
maps a key k ∈ R^m (input of the MLP output projection) to a value W k ∈ R^d, and deltas have shape
[d, m] (the ``nn.Linear`` layout). GPT-2's ``c_proj`` is a ``Conv1D`` stored as [m, d] and used as
``x @ W``; Llama's ``down_proj`` is an ``nn.Linear`` stored as [d, m]. Each adapter *declares* which,
and every access asserts the declaration against the module class — orientation is never guessed
from shapes (a square GPT-2 would defeat that) or from model names.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ArchAdapter:
    model_type: str
    layers: str          # block (residual stream output) template
    mlp: str             # MLP module template
    out_proj: str        # MLP output projection = the edited matrix
    final_norm: str
    lm_head: str
    stored_in_out: bool  # True: weight stored [in, out] (Conv1D); False: [out, in] (nn.Linear)
    n_layer_attr: str

    def block(self, layer: int) -> str:
        return self.layers.format(layer)

    def mlp_name(self, layer: int) -> str:
        return self.mlp.format(layer)

    def key_site(self, layer: int) -> str:
        """Hook site whose *input* is the key k (the MLP hidden activation)."""
        return self.out_proj.format(layer)

    def n_layers(self, model) -> int:
        return getattr(model.config, self.n_layer_attr)

    def layer_of(self, model, name: str) -> int:
        """Index of the block that is, or contains, module `name`."""
        for layer in range(self.n_layers(model)):
            if name == self.block(layer) or name.startswith(self.block(layer) + "."):
                return layer
        raise KeyError(f"{name!r} is not inside a block of this {self.model_type} model")


def _conv1d_cls():
    from transformers.pytorch_utils import Conv1D
    return Conv1D


ADAPTERS: dict[str, ArchAdapter] = {
    "gpt2": ArchAdapter("gpt2", "transformer.h.{}", "transformer.h.{}.mlp", "transformer.h.{}.mlp.c_proj",
                        "transformer.ln_f", "lm_head", stored_in_out=True, n_layer_attr="n_layer"),
    "llama": ArchAdapter("llama", "model.layers.{}", "model.layers.{}.mlp", "model.layers.{}.mlp.down_proj",
                         "model.norm", "lm_head", stored_in_out=False, n_layer_attr="num_hidden_layers"),
}


class UnsupportedArchitecture(ValueError):
    pass


def adapter_for(model_or_config) -> ArchAdapter:
    """Look the adapter up by ``config.model_type``; unknown types list the supported ones."""
    cfg = getattr(model_or_config, "config", model_or_config)
    mt = getattr(cfg, "model_type", None)
    if mt not in ADAPTERS:
        raise UnsupportedArchitecture(
            f"unsupported architecture model_type={mt!r}; supported: {', '.join(sorted(ADAPTERS))}")
    return ADAPTERS[mt]


def get_module(model: nn.Module, name: str) -> nn.Module:
    try:
        return model.get_submodule(name)
    except AttributeError as e:
        raise KeyError(f"module {name!r} not found in {type(model).__name__}") from e


def _out_proj(model, layer: int) -> nn.Module:
    ad = adapter_for(model)
    n = ad.n_layers(model)
    if not 0 <= layer < n:
        raise IndexError(f"layer {layer} out of range for a {n}-layer {ad.model_type} model")
    mod = get_module(model, ad.key_site(layer))
    is_conv = isinstance(mod, _conv1d_cls())
    if ad.stored_in_out != is_conv or (not is_conv and not isinstance(mod, nn.Linear)):
        raise TypeError(f"{ad.key_site(layer)} is {type(mod).__name__}, but the {ad.model_type} adapter declares "
                        f"{'Conv1D [in, out]' if ad.stored_in_out else 'nn.Linear [out, in]'}")
    return mod


def weight_shape(model, layer: int) -> tuple[int, int]:
    """(d, m) = (value dim, key dim) of the edited matrix in math orientation."""
    w = _out_proj(model, layer).weight
    return (w.shape[1], w.shape[0]) if adapter_for(model).stored_in_out else tuple(w.shape)


# A delta's key: an int layer for the edited matrix W^l ([d, m]), or bias_key(l) for its bias ([d]) — only FT
# edits a bias (GPT-2's c_proj has one; the reference FT trains every parameter of the module).
def bias_key(layer: int) -> str:
    return f"bias.{layer}"


def delta_name(key) -> str:
    """The name a delta is stored under in safetensors files: "layer.<l>" or "bias.<l>"."""
    return key if isinstance(key, str) else f"layer.{key}"


def delta_key(name: str):
    """Inverse of `delta_name`."""
    kind, layer = name.split(".")
    if kind not in ("layer", "bias"):
        raise KeyError(f"unknown delta name {name!r}: expected layer.<l> or bias.<l>")
    return int(layer) if kind == "layer" else name


def _param(model, key) -> tuple[nn.Parameter, bool]:
    """The parameter a delta key edits and whether it is stored transposed to the math orientation."""
    if isinstance(key, int):
        return _out_proj(model, key).weight, adapter_for(model).stored_in_out
    mod = _out_proj(model, _layer_of(key))
    if mod.bias is None:
        raise KeyError(f"{key}: {adapter_for(model).key_site(_layer_of(key))} has no bias")
    return mod.bias, False


def _layer_of(key) -> int:
    return key if isinstance(key, int) else int(delta_key(key).split(".")[1])


def read_weight(model, layer: int) -> torch.Tensor:
    """W^l in math orientation [d, m] (a copy)."""
    mod = _out_proj(model, layer)
    w = mod.weight.detach()
    return (w.T if adapter_for(model).stored_in_out else w).clone()


@torch.no_grad()
def add_delta(model, layer, delta: torch.Tensor, sign: float = 1.0) -> None:
    """W^l += sign·Δ, with Δ in math orientation [d, m] (or a bias += Δ [d] for a bias_key); cast to the
    parameter's dtype and device."""
    param, transposed = _param(model, layer)
    shape = tuple(param.shape[::-1]) if transposed else tuple(param.shape)
    what = f"layer {layer}" if isinstance(layer, int) else f"the bias of layer {_layer_of(layer)}"
    if tuple(delta.shape) != shape:
        raise ValueError(f"delta for {what} has shape {tuple(delta.shape)}, expected {shape}")
    if not torch.isfinite(delta).all():
        raise FloatingPointError(f"delta for {what} contains NaN or inf")
    upd = delta.to(device=param.device, dtype=param.dtype) * sign
    param.add_(upd.T if transposed else upd)


def apply_deltas(model, deltas: dict, sign: float = 1.0) -> None:
    """The one function that writes edits into a model. ``sign=-1`` removes them again."""
    for key, delta in deltas.items():
        add_delta(model, key, delta, sign)


class applied:
    """Context manager: the model carries `deltas` inside the block and is restored on exit."""

    def __init__(self, model, deltas: dict[int, torch.Tensor]):
        self.model, self.deltas = model, deltas
        self.saved: dict[int, torch.Tensor] = {}

    def __enter__(self):
        self.saved = snapshot(self.model, self.deltas)
        apply_deltas(self.model, self.deltas)
        return self.model

    def __exit__(self, *exc):
        restore(self.model, self.saved)   # exact restore, no floating-point round trip


def device_of(model) -> torch.device:
    return next(model.parameters()).device


DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def load_model(name_or_path: str | Path, dtype: torch.dtype | str | None = None, device: str | torch.device = "cpu",
               fp32_layers=(), device_map: str | None = None, max_memory: dict | None = None):
    """Load any supported HF causal LM with its tokenizer: a hub id, a local directory, a .gguf file or a
    built-in name such as "smollm2-135m" (deltaedit.sources: dequantised once and cached).

    The tokenizer is set to right padding with pad = eos (docs/methods.md#conventions) and to return only
    ``input_ids`` and ``attention_mask``. Unsupported architectures fail before weights are read.
    `dtype` (default fp32, as the references run) may be bf16/fp16; then the edited matrices of
    `fp32_layers` stay in fp32 (`keep_fp32`). `device_map="auto"` with `max_memory` ({gpu index: "20GiB"})
    spreads the blocks over several GPUs (deltaedit.workflow.placement plans it); otherwise the model goes to `device`.
    """
    from transformers import AutoConfig, AutoModelForCausalLM

    from deltaedit.sources import resolve

    name_or_path = resolve(name_or_path)
    dt = DTYPES[dtype] if isinstance(dtype, str) else (dtype or torch.float32)
    cfg = AutoConfig.from_pretrained(str(name_or_path))
    adapter_for(cfg)
    if device_map:
        model = AutoModelForCausalLM.from_pretrained(str(name_or_path), dtype=dt, device_map=device_map,
                                                     max_memory=max_memory)
    else:
        model = AutoModelForCausalLM.from_pretrained(str(name_or_path), dtype=dt).to(device)
    model.eval()
    if dt != torch.float32 and fp32_layers:
        keep_fp32(model, fp32_layers)
    tok = load_tokenizer(name_or_path)
    log.info("loaded %s (%s, %.1fM parameters, %s%s)", name_or_path, cfg.model_type,
             sum(p.numel() for p in model.parameters()) / 1e6, dt,
             f", edited layers {list(fp32_layers)} in fp32" if dt != torch.float32 and fp32_layers else "")
    return model, tok


def keep_fp32(model, layers) -> None:
    """Keep the edited matrices W^l of a bf16/fp16 model in fp32: the deltas are added to fp32 weights (a bf16
    weight would round a small Δ away), and each matrix computes in fp32 on its input cast up, its output
    cast back to the dtype of the stream around it."""
    for l in layers:
        mod = _out_proj(model, l)
        if mod.weight.dtype == torch.float32:
            continue
        mod.float()
        mod.register_forward_pre_hook(_cast_in)
        mod.register_forward_hook(_cast_out)


def _cast_in(module, args):
    module._stream_dtype = args[0].dtype
    return (args[0].float(), *args[1:])


def _cast_out(module, args, output):
    return output.to(module._stream_dtype)


def load_tokenizer(name_or_path: str | Path):
    """The tokenizer of a hub id or local directory, prepared as `prepare_tokenizer` says."""
    from transformers import AutoTokenizer
    return prepare_tokenizer(AutoTokenizer.from_pretrained(str(name_or_path)))


def prepare_tokenizer(tok):
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    tok.padding_side = "right"
    tok.model_input_names = ["input_ids", "attention_mask"]
    return tok


def snapshot(model, keys) -> dict:
    """Copies of the edited parameters of `keys` (layers, or bias keys; stored orientation), for an exact `restore`."""
    return {k: _param(model, k)[0].detach().clone() for k in keys}


@torch.no_grad()
def restore(model, saved: dict) -> None:
    for k, w in saved.items():
        _param(model, k)[0].copy_(w)


def max_positions(model) -> int:
    cfg = model.config
    return getattr(cfg, "n_positions", None) or getattr(cfg, "max_position_embeddings")


def default_device() -> torch.device:
    """The machine's accelerator if it has one (CUDA, MPS, ...), else the CPU."""
    if torch.accelerator.is_available():
        return torch.accelerator.current_accelerator()
    return torch.device("cpu")
