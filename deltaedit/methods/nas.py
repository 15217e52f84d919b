"""NAS (beyond the paper; docs/methods.md#nas): AlphaEdit with every v* held at the unedited model's norm anchor.

Liu et al., "Norm Anchors Make Model Edits Last" (2026). The released NAS is AlphaEdit's null-space solve
with norm-anchor scaling of the value vector (core/anchor.py); here it is AlphaEdit with `norm_anchor` on by
default, so the anchor also goes on top of DeltaEdit (or AlphaEdit) as an hparams override.
"""
from __future__ import annotations

from dataclasses import dataclass

from deltaedit.methods.alphaedit import AlphaEdit, AlphaEditHParams
from deltaedit.methods.base import register


@dataclass(frozen=True)
class NASHParams(AlphaEditHParams):
    norm_anchor: str | None = "code"        # the released code's rule (docs/methods.md#nas)


@register
class NAS(AlphaEdit):
    name = "nas"
    hparams_cls = NASHParams
    beyond_paper = True
