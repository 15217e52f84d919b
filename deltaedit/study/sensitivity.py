"""How much each tuned value matters (results/PROTOCOL.md, protocol v2, step 1): every grid point of every
method's tuning, the chosen one marked, as a table and a figure.

A tuning file is what `deltaedit tune` writes: one method, a grid over one parameter, every point's scores on
the held-out slice. The protocols list the shipped value first (on SmolLM2-135M the published one), so the x
axis is each value as a factor of the first grid value: 0.1, 1 and 10 line up across methods whose parameters
differ in scale.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from deltaedit.eval.plots import method_color, new_figure, save_figure

COLUMNS = ("efficacy_top", "generalization_top", "specificity_top")


def load_tunings(paths: list[str | Path]) -> pd.DataFrame:
    """One row per grid point: method, parameter, value, factor (of the first grid value), the scores, the
    criterion, chosen, minutes. A grid over more than one parameter is refused, naming its file."""
    rows = []
    for path in paths:
        result = json.loads(Path(path).read_text())
        points = result.get("points") or []
        if not points or any(len(p["overrides"]) != 1 for p in points) or "efficacy_top" not in points[0]:
            raise ValueError(f"{path}: not a one-parameter tuning of `deltaedit tune` (one key per grid point)")
        (param, first), = points[0]["overrides"].items()
        for p in points:
            value = p["overrides"][param]
            rows.append({"method": result["method"], "parameter": param, "value": value,
                         "factor": value / first if first else float("nan"),
                         **{c: p[c] for c in COLUMNS}, "criterion": p["score"],
                         "chosen": p["overrides"] == result["chosen"], "minutes": p["seconds"] / 60})
    return pd.DataFrame(rows)


def sensitivity_table(df: pd.DataFrame) -> pd.DataFrame:
    """The rows sorted by method and value, indexed (method, parameter, value), minutes rounded."""
    t = df.sort_values(["method", "value"]).set_index(["method", "parameter", "value"])
    return t.drop(columns="factor").assign(minutes=t.minutes.round(1))


def sensitivity_figure(df: pd.DataFrame, path: str | Path) -> None:
    """Efficacy_top and Specificity_top against the factor of the first (shipped) value, one line per
    method in its colour, the chosen point ringed."""
    fig, axes = new_figure(2)
    for ax, column, label in zip(axes, ("efficacy_top", "specificity_top"), ("Efficacy top", "Specificity top")):
        for method, g in df.sort_values("factor").groupby("method", sort=True):
            ax.plot(g.factor, g[column], marker="o", markersize=4, color=method_color(method),
                    label=f"{method} ({g.parameter.iloc[0]})")
            c = g[g.chosen]
            ax.scatter(c.factor, c[column], s=90, facecolors="none", edgecolors=method_color(method))
        ax.set_xscale("log")
        ax.set_xlabel("value / shipped value, the grid's first (chosen: ringed)")
        ax.set_ylabel(f"{label} after the tuning run")
    axes[-1].legend(fontsize=7)
    save_figure(fig, path)
