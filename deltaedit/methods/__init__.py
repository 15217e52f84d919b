"""Registered editing methods. Importing this package registers the seven built-ins."""
from deltaedit.methods.base import (EditContext, EditState, Method, get_method, list_methods, load_method_modules,
                                   register)
from deltaedit.methods import ft, rome, memit, prune, rect, alphaedit, deltaedit  # noqa: F401  (registration)

__all__ = ["EditContext", "EditState", "Method", "get_method", "list_methods", "load_method_modules", "register"]
