"""The sequential runner: the edit loop (loop), its resume state (resume) and the checkpoint contract
(checkpoint) that scoring reads."""
from deltaedit.runner.checkpoint import load_deltas, read_checkpoint, write_checkpoint
from deltaedit.runner.loop import (RunSettings, checkpoint_diagnostics, edit_order, replica_name, replica_of,
                                   run_sequential)
from deltaedit.runner.resume import RunState, run_key

__all__ = ["RunSettings", "RunState", "checkpoint_diagnostics", "edit_order", "load_deltas", "read_checkpoint",
           "replica_name", "replica_of", "run_key", "run_sequential", "write_checkpoint"]
