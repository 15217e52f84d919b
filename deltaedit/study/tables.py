"""Tables and figures from the score files (results/scores/<model>/<dataset>/<method>/<n>.json).

Everything here reads cached artifacts only, so changing a table or a figure reruns only these steps.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from deltaedit.eval.plots import method_color, new_figure, save_figure

CF_COLS = [("counterfact", m) for m in ("efficacy_top", "generalization_top", "specificity_top",
                                        "efficacy_larger", "generalization_larger", "specificity_larger",
                                        "efficacy_gen", "generalization_gen")]   # _gen: this project's addition
ZSRE_COLS = [("zsre", m) for m in ("efficacy", "generalization", "specificity", "efficacy_gen", "generalization_gen")]


def load_scores(paths: list[str | Path]) -> pd.DataFrame:
    """One row per (model, dataset, method, n_edits, metric) with mean and 95% CI, plus diagnostics rows."""
    rows = []
    for p in map(Path, paths):
        method, dataset, model = p.parent.name, p.parent.parent.name, p.parent.parent.parent.name
        blob = json.loads(p.read_text())
        n = blob["n_edits"]
        for metric, s in blob["summary"].items():
            rows.append(dict(model=model, dataset=dataset, method=method, n_edits=n, metric=metric,
                             mean=s["mean"], ci_low=s["ci_low"], ci_high=s["ci_high"], layer=None))
        for metric in ("noise_E", "mean_k_beta", "weight_fro"):
            for layer, v in blob["diagnostics"].get(metric, {}).items():
                rows.append(dict(model=model, dataset=dataset, method=method, n_edits=n, metric=metric,
                                 mean=v, ci_low=None, ci_high=None, layer=int(layer)))
    return pd.DataFrame(rows, columns=["model", "dataset", "method", "n_edits", "metric", "mean", "ci_low", "ci_high",
                                       "layer"])


def at_table_checkpoint(df: pd.DataFrame, longest: bool = False) -> pd.DataFrame:
    """The rows of the checkpoint Table 1 reports, per model and dataset: the last one every run reached, or
    with `longest` the last one any run reached, with only the runs that got there (config long_runs: the
    paper's own count is the long runs' last checkpoint)."""
    reached = df.groupby(["model", "dataset", "method"]).n_edits.transform("max")
    per_world = reached.groupby([df.model, df.dataset])
    return df[df.n_edits == (per_world.transform("max") if longest else per_world.transform("min"))]


def table1(df: pd.DataFrame) -> pd.DataFrame:
    """Per model x method at the last checkpoint all methods of the model and dataset reached (long runs go
    further, config long_runs): "mean [lo, hi]" for every metric of Table 1."""
    last = at_table_checkpoint(df[df.layer.isna()]).copy()
    last["cell"] = last.apply(lambda r: f"{r['mean']:.1f} [{r.ci_low:.1f}, {r.ci_high:.1f}]", axis=1)
    wide = last.pivot_table(index=["model", "method"], columns=["dataset", "metric"], values="cell", aggfunc="first")
    cols = [c for c in CF_COLS + ZSRE_COLS if c in wide.columns]
    return wide[cols]


def per_checkpoint(df: pd.DataFrame, metric: str, last_layer_only: bool = True) -> pd.DataFrame:
    """Table 2 (noise_E) / Table 3 (mean kᵀβ): rows model x method (x layer), columns = number of edits."""
    d = df[df.metric == metric].dropna(subset=["layer"])
    if last_layer_only:
        d = d[d.layer == d.groupby(["model", "method"]).layer.transform("max")]
        return d.pivot_table(index=["model", "dataset", "method"], columns="n_edits", values="mean")
    return d.pivot_table(index=["model", "dataset", "method", "layer"], columns="n_edits", values="mean")


def write_table(table: pd.DataFrame, stem: str | Path) -> None:
    """CSV, Markdown and LaTeX versions of one table."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(stem.with_suffix(".csv"))
    flat = table.copy()
    flat.columns = [" ".join(map(str, c)) if isinstance(c, tuple) else str(c) for c in flat.columns]
    flat = flat.reset_index()
    stem.with_suffix(".md").write_text(flat.to_markdown(index=False, floatfmt=".4g") + "\n")
    stem.with_suffix(".tex").write_text(flat.to_latex(index=False, float_format="%.3g"))


def set_value_scale(ax, values) -> None:
    """Log when all values are positive and span > 10x; symlog when some are <= 0 and they span > 10x."""
    v = pd.Series(values, dtype=float).dropna()
    if v.empty:
        return
    pos = v[v > 0]
    if (v > 0).all() and v.max() / v.min() > 10:
        ax.set_yscale("log")
    elif not (v > 0).all() and len(pos) and v.abs().max() / max(pos.min(), 1e-12) > 10:
        ax.set_yscale("symlog", linthresh=max(float(pos.min()), 1e-6))


def draw_run(ax, g: pd.DataFrame, run: str, markers: bool = True) -> None:
    """One run's curve in its method's colour (a variant dashed in its method's hue), with its CI as a band
    where the rows have one: over records, or the range over edit orders where a run pools several.
    `markers` False for a curve with a point per edit."""
    g = g.sort_values("n_edits")
    ax.plot(g.n_edits, g["mean"], marker="o" if markers else None, markersize=3, label=run, color=method_color(run),
            linestyle="--" if "-" in run else "-")
    if "ci_low" in g and g.ci_low.notna().any():             # general capability has no CI
        ax.fill_between(g.n_edits, g.ci_low.astype(float), g.ci_high.astype(float), color=method_color(run),
                        alpha=0.15, linewidth=0)


def plot_curves(df: pd.DataFrame, metric: str, ylabel: str, path: str | Path, layer: str = "last") -> None:
    """One panel per (model, dataset): `metric` against the number of edits, one line per method."""
    d = df[df.metric == metric]
    if layer == "last" and d.layer.notna().any():
        d = d[d.layer == d.groupby(["model", "method"]).layer.transform("max")]
    panels = sorted(d.groupby(["model", "dataset"]).groups)
    fig, axes = new_figure(len(panels))
    for ax, (model, dataset) in zip(axes, panels):
        sub = d[(d.model == model) & (d.dataset == dataset)]
        for method, g in sub.groupby("method"):
            draw_run(ax, g, method)
        if metric in ("noise_E", "mean_k_beta"):
            set_value_scale(ax, sub["mean"])       # values spanning orders of magnitude: a log axis
        ax.set_title(f"{model} / {dataset}", fontsize=9)
        ax.set_xlabel("number of sequential edits")
        ax.set_ylabel(ylabel)
    axes[-1].legend(fontsize=7)
    save_figure(fig, path)


def load_general(paths: list[str | Path]) -> pd.DataFrame:
    """lm-eval results: one row per (model, dataset, method, n_edits, task) with F1 and accuracy, and the
    F1 difference to the unedited model (Figure 7). The unedited model is every method's point at 0 edits."""
    rows, base = [], {}
    for p in map(Path, paths):
        blob = json.loads(p.read_text())
        if p.stem == "unedited":
            base[(p.parent.parent.name, p.parent.name)] = blob["tasks"]
            continue
        model, dataset, method = p.parent.parent.parent.name, p.parent.parent.name, p.parent.name
        for task, s in blob["tasks"].items():
            rows.append(dict(model=model, dataset=dataset, method=method, n_edits=blob["n_edits"], task=task,
                             f1=s["f1"], acc=s["acc"]))
    df = pd.DataFrame(rows)
    starts = [dict(model=m, dataset=d, method=meth, n_edits=0, task=t, f1=s["f1"], acc=s["acc"])
              for (m, d), tasks in base.items() for meth in sorted(df.method.unique()) for t, s in tasks.items()]
    df = pd.concat([pd.DataFrame(starts), df], ignore_index=True)
    ref = {(m, d, t): s["f1"] for (m, d), tasks in base.items() for t, s in tasks.items()}
    df["f1_diff"] = [r.f1 - ref[(r.model, r.dataset, r.task)] for r in df.itertuples()]
    return df


def general_table(df: pd.DataFrame) -> pd.DataFrame:
    """F1 per model x dataset x method x task (rows) at every number of edits (columns; 0 = unedited)."""
    return df.pivot_table(index=["model", "dataset", "method", "task"], columns="n_edits", values="f1")


def plot_general(df: pd.DataFrame, column: str, ylabel: str, path: str | Path) -> None:
    """Figure 3 (F1) or 7 (F1 minus the unedited model's): one panel per (model, dataset, task)."""
    long = df.rename(columns={column: "mean"}).assign(metric=column, layer=None)
    long["dataset"] = long["dataset"] + " / " + long["task"]
    plot_curves(long, column, ylabel, path)


ETA_METRICS = ("efficacy_top", "generalization_top", "specificity_top")


def eta_table(df: pd.DataFrame, etas: list[float]) -> pd.DataFrame:
    """Figure 9's numbers: one row per η (the "method" level of the sweep's score paths), top metrics."""
    d = df[df.layer.isna() & df.metric.isin(ETA_METRICS)].copy()
    d["eta"] = d["method"].astype(float)
    table = d.pivot_table(index="eta", columns="metric", values="mean")
    return table.reindex(sorted(float(e) for e in etas))[[m for m in ETA_METRICS if m in table.columns]]


def plot_eta(table: pd.DataFrame, path: str | Path) -> None:
    fig, (ax,) = new_figure()
    for metric in table.columns:
        ax.plot(table.index, table[metric], marker="o", label=metric)
    ax.set_xlabel("η (DeltaEdit trigger threshold)")
    ax.set_ylabel("%")
    ax.legend(fontsize=7)
    save_figure(fig, path)


# Efficacy columns by protocol: CounterFact's top and zsRE's token accuracy are the paper's (teacher-forced)
EFFICACY_KINDS = {"efficacy_top": "teacher-forced", "efficacy": "teacher-forced", "efficacy_gen": "generation-based"}


def horizons(df: pd.DataFrame, threshold: float = 50.0) -> pd.DataFrame:
    """How many sequential edits each run sustains (the horizon the lifelong editors report, beyond the paper):
    per (model, dataset, method) and efficacy column (teacher-forced top, generation-based), the last
    checkpoint before the first one where the mean falls below `threshold` %; "≥ N" where it never does
    up to the last checkpoint N; "< N" where it is under at the first checkpoint N."""
    rows = []
    d = df[df.layer.isna() & df.metric.isin(list(EFFICACY_KINDS))]
    for (model, dataset, method, metric), g in d.groupby(["model", "dataset", "method", "metric"]):
        g = g.sort_values("n_edits")
        below = g[g["mean"] < threshold]
        if below.empty:
            cell = f"≥ {int(g.n_edits.iloc[-1])}"
        else:
            before = g[g.n_edits < below.n_edits.iloc[0]]
            cell = f"< {int(below.n_edits.iloc[0])}" if before.empty else str(int(before.n_edits.iloc[-1]))
        rows.append(dict(model=model, dataset=dataset, method=method,
                         metric=EFFICACY_KINDS[metric], cell=cell))
    if not rows:
        return pd.DataFrame()
    return pd.DataFrame(rows).pivot_table(index=["model", "dataset", "method"], columns="metric", values="cell",
                                          aggfunc="first")
