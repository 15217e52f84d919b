"""The paper's study, built on the library: tables and figures from cached score files, edit orders pooled,
the paper's claims tested, costs, hparams tuning and the per-edit benchmark (docs/architecture.md).
Imports the library, never the workflow's glue."""
