"""Writing the package's JSON artifacts."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


def write_json(obj, path: str | Path) -> Path:
    """Atomic write with a stable layout (same object, same bytes)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".")
    with os.fdopen(fd, "w") as f:
        json.dump(obj, f, indent=1, ensure_ascii=False)
        f.write("\n")
    os.replace(tmp, path)
    return path
