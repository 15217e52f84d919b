"""deltaedit: sequential knowledge editing (FT, ROME, MEMIT, PRUNE, RECT, AlphaEdit, DeltaEdit).

Importing the package touches neither the filesystem, the network nor a GPU.
"""
from deltaedit.api import edit, load_hparams, make_context
from deltaedit.methods import EditContext, EditState, get_method, list_methods, register
from deltaedit.models import apply_deltas, load_model
from deltaedit.types import EditRecord, EditRequest

__all__ = ["edit", "load_hparams", "make_context", "EditContext", "EditState", "get_method", "list_methods",
           "register", "apply_deltas", "load_model", "EditRecord", "EditRequest"]
