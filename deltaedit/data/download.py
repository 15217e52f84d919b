"""Canonical sources of the paper's datasets (MANIFEST.md of the shared data) and one downloader.

Only the workflow's explicit ``download_data`` rule calls `download`; tests and loaders never do.
"""
from __future__ import annotations

import logging
import os
import shutil
import tempfile
import urllib.request
from pathlib import Path

log = logging.getLogger(__name__)

SOURCES: dict[str, str] = {
    "counterfact.json": "https://rome.baulab.info/data/dsets/counterfact.json",
    "multi_counterfact.json": "https://memit.baulab.info/data/dsets/multi_counterfact.json",
    "zsre_mend_eval.json": "https://rome.baulab.info/data/dsets/zsre_mend_eval.json",
    "attribute_snippets.json": "https://memit.baulab.info/data/dsets/attribute_snippets.json",
    "idf.npy": "https://memit.baulab.info/data/dsets/idf.npy",
    "tfidf_vocab.json": "https://memit.baulab.info/data/dsets/tfidf_vocab.json",
}


def download(name: str, dest: str | Path, timeout: float = 60.0) -> Path:
    """Fetch the canonical file `name` to `dest` atomically (temp file + rename)."""
    if name not in SOURCES:
        raise KeyError(f"unknown dataset file {name!r}; known: {', '.join(sorted(SOURCES))}")
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    log.info("downloading %s -> %s", SOURCES[name], dest)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=dest.name + ".")
    try:
        with urllib.request.urlopen(SOURCES[name], timeout=timeout) as r, os.fdopen(fd, "wb") as f:
            shutil.copyfileobj(r, f)
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return dest
