"""Runs repeated in other edit orders (config order_replicas: "<run>-o<seed>") pooled with the run itself:
Table 1 with 95 % CIs over orders and records (`eval.summary.bootstrap_ci_orders`), and the curves of the
figures as the mean over orders with the orders' range as a band."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from deltaedit.eval.summary import bootstrap_ci_orders
from deltaedit.study.tables import CF_COLS, ZSRE_COLS, at_table_checkpoint


def pooled_name(run: str, replicas: dict) -> str:
    """The run an order replica repeats (replicas: name -> [run, seed]); any other run is its own."""
    return replicas[run][0] if run in replicas else run


def load_record_values(paths: list[str | Path]) -> pd.DataFrame:
    """One row per (model, dataset, run, n_edits, record, metric) of the score files' per-record rows."""
    rows = []
    for p in map(Path, paths):
        run, dataset, model = p.parent.name, p.parent.parent.name, p.parent.parent.parent.name
        blob = json.loads(p.read_text())
        metrics = list(blob["summary"])
        for rec in blob["records"]:
            rows += [dict(model=model, dataset=dataset, method=run, n_edits=blob["n_edits"], record=rec["case_id"], metric=m,
                          value=float(rec[m])) for m in metrics]
    return pd.DataFrame(rows, columns=["model", "dataset", "method", "n_edits", "record", "metric", "value"])


def pooled_table1(values: pd.DataFrame, replicas: dict, n_boot: int = 1000, seed: int = 0,
                  longest: bool = False) -> pd.DataFrame:
    """Table 1 with every run pooled over its edit orders, at the checkpoint of `tables.at_table_checkpoint`
    (`longest`: the long runs' last): "mean [lo, hi] (k orders)" in per cent."""
    v = at_table_checkpoint(values, longest).assign(pooled=lambda d: d.method.map(lambda r: pooled_name(r, replicas)))
    cells = []
    for (model, dataset, run, metric), g in v.groupby(["model", "dataset", "pooled", "metric"]):
        groups = [o.value.tolist() for _, o in g.groupby("method")]
        lo, hi = bootstrap_ci_orders(groups, n_boot, seed)
        cells.append(dict(model=model, method=run, dataset=dataset, metric=metric,
                          cell=f"{100 * g.value.mean():.1f} [{100 * lo:.1f}, {100 * hi:.1f}] ({len(groups)})"))
    wide = pd.DataFrame(cells).pivot_table(index=["model", "method"], columns=["dataset", "metric"], values="cell",
                                           aggfunc="first")
    return wide[[c for c in CF_COLS + ZSRE_COLS if c in wide.columns]]


def pool_curves(df: pd.DataFrame, replicas: dict) -> pd.DataFrame:
    """`report.load_scores` rows with every run's replicas folded into it: the mean over orders, and as
    ci_low / ci_high the orders' range (the records' CI where a run has one order)."""
    if not replicas:
        return df
    d = df.assign(method=df.method.map(lambda r: pooled_name(r, replicas)))
    keys = ["model", "dataset", "method", "n_edits", "metric", "layer"]
    g = d.groupby(keys, dropna=False)
    out = g.agg(mean=("mean", "mean"), lo=("mean", "min"), hi=("mean", "max"), k=("mean", "size"),
                ci_low=("ci_low", "first"), ci_high=("ci_high", "first")).reset_index()
    many = out.k > 1
    out.loc[many, "ci_low"], out.loc[many, "ci_high"] = out.loc[many, "lo"], out.loc[many, "hi"]
    return out[keys + ["mean", "ci_low", "ci_high"]]
