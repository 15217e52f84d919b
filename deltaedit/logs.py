"""Logging set-up for workflow scripts and command-line tools: everything goes to one file."""
from __future__ import annotations

import logging
import sys
import warnings


def to_file(path: str) -> None:
    """Send logging, warnings and stderr (tqdm progress, library messages) to `path`."""
    logging.basicConfig(filename=path, level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s",
                        force=True)
    logging.captureWarnings(True)
    warnings.simplefilter("default")
    sys.stderr = open(path, "a", buffering=1)
