"""Typed hyperparameters: one dataclass per method, strict YAML loading.

Unknown keys and wrong types are errors naming the key and the file. An int is accepted where a float
is declared (YAML writes 20000 for 2.0e4); nothing else is coerced — a YAML 1.1 string such as "1e-3"
for a float field is rejected rather than silently converted. Files hold hyperparameters only: no module
paths, devices or paths on disk (those live in the adapters and the caller's arguments).
"""
from __future__ import annotations

import dataclasses
import re
import types
import typing
from dataclasses import dataclass, fields
from pathlib import Path

import yaml

HPARAMS_DIR = Path(__file__).parent / "hparams"


class HParamsError(ValueError):
    pass


class _CommandLineLoader(yaml.SafeLoader):
    """YAML with 5e-4 read as a float (YAML 1.2's rule), for values typed on a command line."""


_CommandLineLoader.add_implicit_resolver("tag:yaml.org,2002:float", re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+$"),
                                         list("-+.0123456789"))


def parse_value(text: str):
    """A value given on a command line (`--grid lr=5e-4,5e-5`, `--methods deltaedit:eta=2`), read as YAML,
    except that an exponent without a dot is a number: YAML 1.1 reads 5e-4 as text, no one typing it means
    that. The hparams files stay strict YAML (module docstring)."""
    return yaml.load(text, Loader=_CommandLineLoader)


def parse_assignment(item: str, flag: str, listed: bool = False) -> tuple[str, object]:
    """"mom2_update_weight=1500" given to `flag` -> ("mom2_update_weight", 1500); with `listed`, the value is a
    comma-separated list ("v_lr=0.1,0.2" -> [0.1, 0.2]; a comma inside brackets belongs to a list value).
    A missing part or a value that is not YAML is one error naming the flag and the item."""
    key, sep, text = item.partition("=")
    if not sep or not key or not text:
        raise ValueError(f"{flag} {item!r}: expected KEY=VALUE" + ("[,VALUE...]" if listed else ""))
    try:
        return key, parse_value(f"[{text}]" if listed else text)
    except yaml.YAMLError as err:
        raise ValueError(f"{flag} {item!r}: the value is not YAML ({err.problem})") from None


def _check(value, tp, where: str):
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        errors = []
        for alt in typing.get_args(tp):
            try:
                return _check(value, alt, where)
            except HParamsError as e:
                errors.append(str(e))
        raise HParamsError(f"{where}: {value!r} matches none of {tp}")
    if tp is type(None):
        if value is not None:
            raise HParamsError(f"{where}: expected null, got {value!r}")
        return None
    if origin is list:
        if not isinstance(value, list):
            raise HParamsError(f"{where}: expected a list, got {type(value).__name__} {value!r}")
        (inner,) = typing.get_args(tp)
        return [_check(v, inner, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is typing.Literal:
        if value not in typing.get_args(tp):
            raise HParamsError(f"{where}: {value!r} is not one of {list(typing.get_args(tp))}")
        return value
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp in (int, float) and isinstance(value, bool):
        raise HParamsError(f"{where}: expected {tp.__name__}, got bool")
    if not isinstance(value, tp):
        raise HParamsError(f"{where}: expected {tp.__name__}, got {type(value).__name__} {value!r}")
    return value


@dataclass(frozen=True)
class HParams:
    """Base class; subclasses declare typed fields with defaults."""

    @classmethod
    def from_dict(cls, data: dict, source: str = "<dict>"):
        if not isinstance(data, dict):
            raise HParamsError(f"{source}: expected a mapping of hyperparameters, got {type(data).__name__}")
        hints = typing.get_type_hints(cls)
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise HParamsError(f"{source}: unknown key(s) {unknown} for {cls.__name__}; known: {sorted(names)}")
        checked = {k: _check(v, hints[k], f"{source}: key {k!r}") for k, v in data.items()}
        missing = [f.name for f in fields(cls) if f.name not in checked
                   and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
        if missing:
            raise HParamsError(f"{source}: missing required key(s) {missing} for {cls.__name__}")
        obj = cls(**checked)
        obj.validate(source)
        return obj

    @classmethod
    def from_yaml(cls, path: str | Path):
        return cls.from_dict(_read_yaml(Path(path)), str(path))

    def validate(self, source: str) -> None:
        """Cross-field checks; subclasses extend."""

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def _read_yaml(path: Path, seen: tuple[Path, ...] = ()) -> dict:
    """A file's mapping; `inherit: NAME` starts from NAME.yaml beside it (its keys win), so a model that
    differs from another in a few values states only those, each with its reason; `inherit: ../METHOD/NAME`
    starts from another method's file (NAS from AlphaEdit's, ENCORE from MEMIT's)."""
    if path.resolve() in seen:
        raise HParamsError(f"{path}: inherit cycle through {[str(p) for p in seen]}")
    with open(path) as f:
        data = yaml.safe_load(f) or {}
    if not isinstance(data, dict):
        raise HParamsError(f"{path}: expected a mapping of hyperparameters, got {type(data).__name__}")
    parent = data.pop("inherit", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise HParamsError(f"{path}: key 'inherit' must name a file beside it (or ../<method>/<name>), got {parent!r}")
    base = path.parent / f"{parent}.yaml"
    if not base.exists():
        raise HParamsError(f"{path}: inherits {parent!r}, but {base} does not exist")
    return {**_read_yaml(base, seen + (path.resolve(),)), **data}


def shipped_hparams(method: str, folder: str | Path | None = None) -> list[str]:
    """The model names that have a hparams file for `method` (shipped, or in `folder`)."""
    folder = Path(folder) if folder is not None else HPARAMS_DIR / method
    return sorted(p.stem for p in folder.glob("*.yaml"))


def hparams_path(method: str, model: str, folder: str | Path | None = None) -> Path:
    """Hparams file for (method, model name), e.g. ("alphaedit", "gpt2-xl"): shipped, or in `folder`."""
    folder = Path(folder) if folder is not None else HPARAMS_DIR / method
    path = folder / f"{model}.yaml"
    if not path.exists():
        raise FileNotFoundError(f"no hparams for method {method!r} and model {model!r}; "
                                f"available: {shipped_hparams(method, folder)}")
    return path
