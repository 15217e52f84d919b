"""Registered editing methods. Importing this package registers the paper's seven and those beyond it (NAS, ENCORE)."""
from deltaedit.methods.base import (EditContext, EditState, Method, get_method, list_methods, load_method_modules,
                                   register)
from deltaedit.methods import ft, rome, memit, prune, rect, alphaedit, deltaedit  # noqa: F401  (registration)
from deltaedit.methods import nas, encore  # noqa: F401  (beyond the paper)

__all__ = ["EditContext", "EditState", "Method", "get_method", "list_methods", "load_method_modules", "register"]
