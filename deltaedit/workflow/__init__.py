"""The Snakemake workflow's glue: the run plan computed from the validated config (plan), the jobs the
rules' scripts call (jobs) and the GPUs a job needs (placement). Imports the library; the library never
imports it (docs/architecture.md)."""
