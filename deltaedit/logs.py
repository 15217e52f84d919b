"""Logging set-up for workflow scripts and command-line tools: everything goes to one file."""
from __future__ import annotations

import logging
import os
import sys
import time
import warnings
from contextlib import contextmanager


def to_file(path: str) -> None:
    """Send logging, warnings and stderr (tqdm progress, library messages) to `path`."""
    logging.basicConfig(filename=path, level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s",
                        force=True)
    logging.captureWarnings(True)
    warnings.simplefilter("default")
    sys.stderr = open(path, "a", buffering=1)


def start_job(log_path: str, threads: int) -> None:
    """A workflow job: logs to its file, and torch uses the threads Snakemake gave the job (torch would
    otherwise take every core while Snakemake schedules other jobs beside it). A job that draws tables never
    imports torch; the thread count reaches torch whether it is imported before this call or after it."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(max(1, threads))
    to_file(log_path)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(max(1, threads))


@contextmanager
def work_timer():
    """Time a job's work, after its start-up (interpreter, imports, model loading): the cost table
    (deltaedit.study.costs) counts the logged wall seconds and this process's CPU seconds (all its threads) as the
    job's work, against the process's whole CPU time so far (start-up included). Every job that does work
    logs it this one way. The process's own total is logged because Snakemake's benchmark samples CPU time
    at intervals and misses the end of a job."""
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        yield
    finally:
        c1 = time.process_time()
        logging.getLogger("deltaedit.work").info("work %.3f s cpu %.3f s process %.3f s", time.perf_counter() - t0,
                                                 c1 - c0, c1)
