"""deltaedit: sequential knowledge editing (FT, ROME, MEMIT, PRUNE, RECT, AlphaEdit, DeltaEdit).

Importing the package touches neither the filesystem, the network nor a GPU, and loads torch only when one
of the names below is first used (PEP 562), so that a job that draws a table does not pay for it.
"""
from importlib import import_module

_NAMES = {"edit": "api", "load_hparams": "api", "make_context": "api", "EditContext": "methods",
          "EditState": "methods", "get_method": "methods", "list_methods": "methods", "register": "methods",
          "apply_deltas": "models", "load_model": "models", "EditRecord": "types", "EditRequest": "types"}
__all__ = list(_NAMES)


def __getattr__(name: str):
    if name not in _NAMES:
        raise AttributeError(f"module 'deltaedit' has no attribute {name!r}")
    value = getattr(import_module(f"deltaedit.{_NAMES[name]}"), name)
    globals()[name] = value                       # looked up once
    return value


def __dir__():
    return sorted(list(globals()) + __all__)
