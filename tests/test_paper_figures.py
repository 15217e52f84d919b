"""The paper's figures (Fig. 1, 4a, 5/6, trigger rate) and Table 1 with long runs, on hand-made score files."""
import json

import matplotlib
import pandas as pd
import pytest

from deltaedit.study.figures import (figure1, figure2, figure4a, fired_share, horizon_figure, load_triggers,
                                     noise_by_layer, paper_equivalent, pooled_fired_share, trigger_rate)
from deltaedit.study.tables import horizons, load_scores, new_figure, set_value_scale, table1

matplotlib.use("Agg")


def _score(path, n, eff, noise):
    path.parent.mkdir(parents=True, exist_ok=True)
    summary = {"efficacy_top": {"mean": eff, "ci_low": eff - 5, "ci_high": eff + 5, "n": n}}
    path.write_text(json.dumps({"n_edits": n, "summary": summary,
                                "diagnostics": {"noise_E": {"1": noise / 3, "2": noise}, "mean_k_beta": {"2": 0.01}}}))


@pytest.fixture
def scores(tmp_path):
    """MEMIT and AlphaEdit go on to 40 edits (a long run), DeltaEdit and its variant stop at 20."""
    root = tmp_path / "scores" / "m" / "counterfact"
    for run, ns in (("memit", (10, 20, 40)), ("alphaedit", (10, 20, 40)), ("deltaedit", (10, 20)),
                    ("deltaedit-code", (10, 20))):
        for n in ns:
            _score(root / run / f"{n}.json", n, 100 - n, 10.0 * n)
    return load_scores(sorted(tmp_path.rglob("*.json")))


def test_the_paper_equivalent_count_scales_by_the_widths():
    # the numbers: 3,000 GPT2-XL edits (width 1,600) <-> 360 on width 192; Llama3-8B (4,096) <-> 140.6
    assert paper_equivalent(360, 192, 1600) == pytest.approx(3000)
    assert paper_equivalent(3000, 4096, 192) == pytest.approx(140.625)


def test_table1_compares_every_method_at_the_last_checkpoint_all_reached(scores):
    t = table1(scores)
    assert t.loc[("m", "memit"), ("counterfact", "efficacy_top")] == "80.0 [75.0, 85.0]"      # at 20, not 40
    assert t.loc[("m", "deltaedit"), ("counterfact", "efficacy_top")] == "80.0 [75.0, 85.0]"


@pytest.mark.parametrize("values, scale", [([1, 5, 9], "linear"), ([1, 50, 2000], "log"),
                                           ([-3, 2, 400], "symlog")])
def test_value_axis_is_logarithmic_only_where_values_span_orders_of_magnitude(values, scale):
    fig, (ax,) = new_figure()
    set_value_scale(ax, values)
    assert ax.get_yscale() == scale


def test_paper_figures_draw_the_runs_they_are_about(scores, tmp_path):
    import matplotlib.pyplot as plt

    bases = {"memit": "memit", "alphaedit": "alphaedit", "deltaedit": "deltaedit", "deltaedit-code": "deltaedit"}
    shown = {}
    real_save = plt.Figure.savefig

    def spy(fig, path, *a, **k):       # the runs drawn in each figure, read from its legend
        shown[str(path)] = sorted(t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().texts)
        return real_save(fig, path, *a, **k)

    plt.Figure.savefig = spy
    try:
        figure1(scores, {"m": [192, 1600, "gpt2-xl"]}, bases, tmp_path / "fig1.png")
        figure2(scores, bases, tmp_path / "fig2.png")
        figure4a(scores, bases, tmp_path / "fig4a.png")
        noise_by_layer(scores, tmp_path / "layers.png")
    finally:
        plt.Figure.savefig = real_save
    assert shown[str(tmp_path / "fig1.png")] == ["alphaedit", "memit"]
    assert shown[str(tmp_path / "fig2.png")] == ["alphaedit", "memit"]
    assert shown[str(tmp_path / "fig4a.png")] == ["alphaedit", "deltaedit", "deltaedit-code"]
    assert len(shown[str(tmp_path / "layers.png")]) == 4
    for name in ("fig1.png", "fig2.png", "fig4a.png", "layers.png"):
        assert (tmp_path / name).stat().st_size > 10_000


def test_trigger_share_counts_the_edits_that_fired_so_far(tmp_path):
    log = tmp_path / "edits" / "m" / "counterfact" / "deltaedit" / "edits.jsonl"
    log.parent.mkdir(parents=True)
    fired = [False, False, True, True, False]
    log.write_text("".join(json.dumps({"edit": i + 1, "trigger": [{"triggered": f, "noise": 1.0}]}) + "\n"
                           for i, f in enumerate(fired)))
    other = tmp_path / "edits" / "m" / "counterfact" / "memit" / "edits.jsonl"       # no trigger: skipped
    other.parent.mkdir(parents=True)
    other.write_text(json.dumps({"edit": 1}) + "\n")
    t = load_triggers([log, other])
    assert list(t.method.unique()) == ["deltaedit"]
    assert fired_share(t).share.round(1).tolist() == [0.0, 0.0, 33.3, 50.0, 40.0]
    trigger_rate(t, tmp_path / "trigger.png")
    assert (tmp_path / "trigger.png").stat().st_size > 5_000
    # an order replica that fired on every edit: the pooled curve is the mean of the two shares, the band their range
    rep = t.assign(method="deltaedit-o1", fired=True)
    pooled = pooled_fired_share(pd.concat([t, rep]), {"deltaedit-o1": ["deltaedit", 1]})
    assert list(pooled.method.unique()) == ["deltaedit"]
    assert pooled["mean"].round(1).tolist() == [50.0, 50.0, 66.7, 75.0, 70.0]
    assert pooled.ci_low.round(1).tolist() == [0.0, 0.0, 33.3, 50.0, 40.0] and (pooled.ci_high == 100).all()
    assert pooled_fired_share(t).ci_low.isna().all()                     # one order: no band


def test_the_horizon_is_the_last_checkpoint_before_efficacy_falls_under_half(tmp_path):
    root = tmp_path / "scores" / "m" / "counterfact"
    curves = {"memit": (90, 60, 40), "alphaedit": (90, 70, 55), "rome": (45, 30, 20), "ft": (90, 40, 60)}
    for run, effs in curves.items():
        for n, eff in zip((10, 20, 40), effs):
            _score(root / run / f"{n}.json", n, eff, 1.0)
    df = load_scores(sorted(tmp_path.rglob("*.json")))
    cells = horizons(df)["teacher-forced"].droplevel(["model", "dataset"]).to_dict()
    # the first fall under 50 % counts, even if a later checkpoint climbs back (ft)
    assert cells == {"memit": "20", "alphaedit": "≥ 40", "rome": "< 10", "ft": "10"}
    horizon_figure(df, tmp_path / "horizon.png")
    assert (tmp_path / "horizon.png").stat().st_size > 0
    assert horizons(df[df.metric == "noise_E"]).empty


def test_value_norm_lines_are_running_means_per_run_without_the_order_replicas():
    import pandas as pd
    from deltaedit.study.figures import value_norm_lines
    norms = pd.DataFrame([dict(model="m", dataset="d", method=run, edit=e, v_star_norm=v)
                          for run in ("nas", "nas-o1") for e, v in zip((3, 1, 2), (6.0, 2.0, 4.0))])
    lines = value_norm_lines(norms, {"nas-o1": ["nas", 1]}, window=2)
    assert list(lines) == ["nas"]
    assert lines["nas"].n_edits.tolist() == [1, 2, 3]
    assert lines["nas"]["mean"].tolist() == [2.0, 3.0, 5.0]      # edit 1 alone, then means of two: (2+4)/2, (4+6)/2
