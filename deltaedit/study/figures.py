"""The paper's figures from the score files and the edit logs (cached artifacts only).

* Fig. 1: Efficacy_top and noise_E against the number of edits for MEMIT and AlphaEdit, with the
  paper-equivalent count on a second axis (n x D / d: the paper model's hidden width D over the model's d).
* Fig. 2: mean kᵀβ of MEMIT and AlphaEdit against the number of edits.
* Fig. 4a: noise_E of AlphaEdit and every DeltaEdit run (both trigger rules).
* Figs. 5/6: noise_E at every edited layer.
* DeltaEdit's trigger rate: the share of edits so far on which the trigger fired (Algorithm 1 line 4).
* Beyond the paper: ‖v*‖ per edit and the edited matrix's Frobenius norm, what NAS and ENCORE act on; the
  horizon figure (efficacy, teacher-forced and generated, against edits on a log axis, with the 50 % line).

Bands are the 95 % CIs of the score files (over records, and over edit orders where a run pools several);
noise_E is one number per checkpoint and has none. One colour per method across every figure
(`report.method_color`); a variant is drawn dashed in its method's hue. A log axis is used where the
values span more than a factor of ten (symlog where some are not positive, e.g. PRUNE's noise_E).
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from deltaedit.study.orders import pool_curves
from deltaedit.eval.plots import new_figure, save_figure
from deltaedit.study.tables import EFFICACY_KINDS, draw_run, set_value_scale


def last_layer(df: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Rows of a per-layer diagnostic at each model's last edited layer (the paper's Figs. 1/2/4a)."""
    d = df[df.metric == metric]
    return d[d.layer == d.groupby(["model", "method"]).layer.transform("max")]


def _runs(df: pd.DataFrame, bases: dict[str, str], wanted: tuple[str, ...]) -> list[str]:
    return sorted(r for r in df.method.unique() if bases.get(r, r) in wanted)


def paper_equivalent(n, d: int, big: int):
    """Edits on the paper's model of hidden width `big` that n edits on width d stand for: superimposed noise
    grows with the edits sharing the edited layers' dimensions, so the count scales with the width."""
    return n * big / d


def _paper_axis(ax, width: list) -> None:
    d, big, name = width
    ax.secondary_xaxis("top", functions=(lambda n: paper_equivalent(n, d, big),
                                         lambda p: paper_equivalent(p, big, d))).set_xlabel(
        f"paper-equivalent edits on {name} (x {big}/{d})", fontsize=7)


def figure1(df: pd.DataFrame, widths: dict, bases: dict[str, str], path: str | Path,
            dataset: str = "counterfact") -> None:
    """Fig. 1: per model a column, Efficacy_top above noise_E (last edited layer), MEMIT and AlphaEdit runs."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = df[(df.dataset == dataset) & df.method.isin(_runs(df, bases, ("memit", "alphaedit")))]
    models = sorted(d.model.unique()) or ["no MEMIT or AlphaEdit run"]
    fig, grid = plt.subplots(2, len(models), figsize=(4.4 * len(models), 6.2), squeeze=False)
    for (top, bottom), model in zip(grid.T, models):
        eff, noise = d[(d.model == model) & (d.metric == "efficacy_top")], last_layer(d[d.model == model], "noise_E")
        for run in sorted(d.method.unique()):
            draw_run(top, eff[eff.method == run], run)
            draw_run(bottom, noise[noise.method == run], run)
        set_value_scale(bottom, noise["mean"])
        top.set_title(f"{model} / {dataset}", fontsize=9)
        top.set_ylabel("Efficacy top (%)")
        bottom.set_ylabel("noise_E, last edited layer")
        for ax in (top, bottom):
            ax.set_xlabel("number of sequential edits")
            if model in widths:
                _paper_axis(ax, widths[model])
    if len(d):
        grid[0, -1].legend(fontsize=7)
    save_figure(fig, path)


def figure2(df: pd.DataFrame, bases: dict[str, str], path: str | Path) -> None:
    """Fig. 2: mean kᵀβ (eq. 15) at the last edited layer of MEMIT and AlphaEdit runs, per model and dataset."""
    d = last_layer(df[df.method.isin(_runs(df, bases, ("memit", "alphaedit")))], "mean_k_beta")
    _panels(d, path, "mean k_i^T beta_j (i != j), last edited layer", ["model", "dataset"])


def figure4a(df: pd.DataFrame, bases: dict[str, str], path: str | Path) -> None:
    """Fig. 4a: noise_E at the last edited layer of AlphaEdit and every DeltaEdit run, per model and dataset."""
    d = last_layer(df[df.method.isin(_runs(df, bases, ("alphaedit", "deltaedit")))], "noise_E")
    _panels(d, path, "noise_E, last edited layer", ["model", "dataset"])


def noise_by_layer(df: pd.DataFrame, path: str | Path) -> None:
    """Figs. 5/6: noise_E at every edited layer, one panel per (model, dataset, layer), every run."""
    _panels(df[(df.metric == "noise_E") & df.layer.notna()], path, "noise_E", ["model", "dataset", "layer"])


def _panels(d: pd.DataFrame, path: str | Path, ylabel: str, keys: list[str]) -> None:
    panels = sorted(d.groupby(keys).groups)
    fig, axes = new_figure(len(panels))
    for ax, key in zip(axes, panels):
        sub = d[(d[keys] == pd.Series(key, index=keys)).all(axis=1)]
        for run, g in sub.groupby("method"):
            draw_run(ax, g, run)
        set_value_scale(ax, sub["mean"])
        ax.set_title(" / ".join(f"layer {int(k)}" if isinstance(k, float) else str(k) for k in key), fontsize=9)
        ax.set_xlabel("number of sequential edits")
        ax.set_ylabel(ylabel)
    axes[-1].legend(fontsize=7)
    save_figure(fig, path)


def _finish(fig, axes, drawn: bool, empty: str, path: str | Path) -> None:
    """Save a figure with its legend on the first panel, or, with nothing drawn, a line that says why."""
    if drawn:
        axes[0].legend(fontsize=7)
    else:
        axes[0].text(0.5, 0.5, empty, ha="center", transform=axes[0].transAxes)
    save_figure(fig, path)


def load_triggers(paths: list[str | Path]) -> pd.DataFrame:
    """One row per edit of a DeltaEdit run (results/edits/<model>/<dataset>/<run>/edits.jsonl): fired or not.
    Logs of runs without a trigger are skipped."""
    rows = []
    for p in map(Path, paths):
        run, dataset, model = p.parent.name, p.parent.parent.name, p.parent.parent.parent.name
        for line in p.read_text().splitlines():
            rec = json.loads(line)
            for t in rec.get("trigger") or []:
                rows.append(dict(model=model, dataset=dataset, method=run, edit=rec["edit"], fired=bool(t["triggered"])))
    return pd.DataFrame(rows, columns=["model", "dataset", "method", "edit", "fired"])


def fired_share(triggers: pd.DataFrame) -> pd.DataFrame:
    """Per run and edit n: `share`, the per cent of edits 1..n on which the trigger fired."""
    t = triggers.sort_values(["model", "dataset", "method", "edit"]).copy()
    fired = t.groupby(["model", "dataset", "method"]).fired
    t["share"] = 100 * fired.cumsum() / (fired.cumcount() + 1)
    return t


def pooled_fired_share(triggers: pd.DataFrame, replicas: dict | None = None) -> pd.DataFrame:
    """`fired_share` as curve rows (`report.load_scores`' columns, metric "fired_share") with every run's order
    replicas folded into it by `orders.pool_curves`: the mean share over the orders, their range as the band."""
    t = fired_share(triggers)
    rows = pd.DataFrame(dict(model=t.model, dataset=t.dataset, method=t.method, n_edits=t.edit, metric="fired_share",
                             mean=t.share, ci_low=float("nan"), ci_high=float("nan"), layer=float("nan")))
    return pool_curves(rows, replicas or {})


def trigger_rate(triggers: pd.DataFrame, path: str | Path, replicas: dict | None = None) -> None:
    """The share of edits so far on which DeltaEdit's trigger fired, per model and dataset, one line per rule
    and variant: the mean over its edit orders with their range as a band."""
    t = pooled_fired_share(triggers, replicas)
    panels = sorted(t.groupby(["model", "dataset"]).groups) or [("no DeltaEdit run", "")]
    fig, axes = new_figure(len(panels))
    for ax, (model, dataset) in zip(axes, panels):
        sub = t[(t.model == model) & (t.dataset == dataset)]
        for run, g in sub.groupby("method"):
            draw_run(ax, g, run, markers=False)
        ax.set_title(f"{model} / {dataset}", fontsize=9)
        ax.set_xlabel("number of sequential edits")
        ax.set_ylabel("edits that fired so far (%)")
        ax.set_ylim(-3, 103)
    if len(t):
        axes[-1].legend(fontsize=7)
    save_figure(fig, path)


def load_value_norms(paths: list[str | Path]) -> pd.DataFrame:
    """‖v*‖ and ‖δ‖ of every edit of the MEMIT-family runs (edits.jsonl `v_star_norm`, `delta_norm`; runs whose
    log has none, e.g. FT or runs made before they were logged, are skipped)."""
    rows = []
    for p in map(Path, paths):
        run, dataset, model = p.parent.name, p.parent.parent.name, p.parent.parent.parent.name
        for line in p.read_text().splitlines():
            rec = json.loads(line)
            for v in rec.get("v_star_norm") or []:
                rows.append(dict(model=model, dataset=dataset, method=run, edit=rec["edit"], v_star_norm=v))
    return pd.DataFrame(rows, columns=["model", "dataset", "method", "edit", "v_star_norm"])


def value_norm_lines(norms: pd.DataFrame, replicas: dict | None = None, window: int = 10) -> dict[str, pd.DataFrame]:
    """Per run, ‖v*‖ against the edit as a running mean over `window` edits; a run's order replicas (config
    order_replicas) are left out, as their per-edit lines would lie over the run's and crowd the legend."""
    lines = {}
    for run, g in norms[~norms.method.isin(list(replicas or {}))].groupby("method"):
        g = g.sort_values("edit")
        lines[run] = pd.DataFrame({"n_edits": g.edit.to_numpy(),
                                   "mean": g.v_star_norm.rolling(window, min_periods=1).mean().to_numpy()})
    return lines


def norm_curves(norms: pd.DataFrame, df: pd.DataFrame, path: str | Path, replicas: dict | None = None) -> None:
    """What NAS and ENCORE act on (docs/methods.md#nas): per (model, dataset) ‖v*‖ per edit (`value_norm_lines`)
    above ‖W0 + Δ‖_F of the last edited layer at every checkpoint (`df` pooled over orders), one line per run."""
    fro = last_layer(df, "weight_fro")
    panels = sorted(set(norms.groupby(["model", "dataset"]).groups) | set(fro.groupby(["model", "dataset"]).groups))
    fig, axes = new_figure(2 * max(1, len(panels)))
    for i, (model, dataset) in enumerate(panels):
        top, bottom = axes[2 * i], axes[2 * i + 1]
        v = norms[(norms.model == model) & (norms.dataset == dataset)]
        for run, line in value_norm_lines(v, replicas).items():
            draw_run(top, line, run, markers=False)
        for run, g in fro[(fro.model == model) & (fro.dataset == dataset)].groupby("method"):
            draw_run(bottom, g, run)
        top.set_ylabel("‖v*‖ per edit (mean of 10)")
        bottom.set_ylabel("‖W0 + Δ‖_F, last edited layer")
        for ax in (top, bottom):
            ax.set_title(f"{model} / {dataset}", fontsize=9)
            ax.set_xlabel("number of sequential edits")
    _finish(fig, axes, bool(panels), "no run logged ‖v*‖ or ‖W‖_F", path)


def horizon_figure(df: pd.DataFrame, path: str | Path, threshold: float = 50.0) -> None:
    """How long each run keeps its edits (`tables.horizons` counts it): per (model, dataset) one panel for the
    teacher-forced Efficacy (CounterFact's top, zsRE's token accuracy) and one for the generation-based, every run
    against the number of edits on a log axis, with the `threshold` line."""
    d = df[df.layer.isna() & df.metric.isin(list(EFFICACY_KINDS))]
    keys = sorted({(m, ds, EFFICACY_KINDS[x]) for m, ds, x in zip(d.model, d.dataset, d.metric)})
    fig, axes = new_figure(max(1, len(keys)))
    for ax, (model, dataset, kind) in zip(axes, keys):
        sub = d[(d.model == model) & (d.dataset == dataset) & (d.metric.map(EFFICACY_KINDS) == kind)]
        for run, g in sub.groupby("method"):
            draw_run(ax, g, run)
        ax.axhline(threshold, color="grey", linestyle=":", linewidth=1)
        ax.set_xscale("log")
        ns = sorted(sub.n_edits.unique())      # the checkpoints as the ticks: a log axis's own labels collide
        ax.set_xticks(ns, [str(n) for n in ns], fontsize=7)
        ax.minorticks_off()
        ax.set_ylim(-3, 103)
        ax.set_title(f"{model} / {dataset} / {kind}", fontsize=9)
        ax.set_xlabel("number of sequential edits")
        ax.set_ylabel("Efficacy (%)")
    _finish(fig, axes, bool(keys), "no efficacy scores", path)
