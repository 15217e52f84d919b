"""Where the workflow's time goes: every job's Snakemake `benchmark:` file, with the work each job reports.

A benchmark file (benchmarks/<rule>/<job>.tsv) gives a job's wall seconds `s`, `cpu_time` and peak resident
memory `max_rss` (MB). The work inside a job comes from its outputs: the seconds of every edit
(`edits.jsonl` of an editing run), of every scored checkpoint (`seconds` of a score file) and of pretraining
(`train_seconds` of a model's train_summary.json); the other jobs log theirs (`deltaedit.logs.work_timer`:
reference predictions, general capability, the editability check, the η sweep, the analysis). Wall time not
accounted for by work is start-up (interpreter, imports, model loading) and I/O.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from deltaedit.report import method_color, new_figure, save_figure


def load_benchmarks(paths: list[str | Path]) -> pd.DataFrame:
    """One row per job: rule (the folder), job (the file's stem), s, cpu_time, max_rss."""
    rows = []
    for p in map(Path, paths):
        t = pd.read_csv(p, sep="\t")
        rows.append(dict(rule=p.parent.name, job=p.stem, s=float(t["s"].iloc[-1]),
                         cpu_time=float(t["cpu_time"].iloc[-1]) if "cpu_time" in t else float("nan"),
                         max_rss=float(pd.to_numeric(t["max_rss"], errors="coerce").iloc[-1])))
    return pd.DataFrame(rows, columns=["rule", "job", "s", "cpu_time", "max_rss"])


def edit_seconds(logs: list[str | Path]) -> pd.DataFrame:
    """Per editing run (results/edits/<model>/<dataset>/<method>/edits.jsonl): edits, total and median s."""
    rows = []
    for p in map(Path, logs):
        secs = [json.loads(line)["seconds"] for line in p.read_text().splitlines() if line.strip()]
        method, dataset, model = p.parent.name, p.parent.parent.name, p.parent.parent.parent.name
        rows.append(dict(model=model, dataset=dataset, method=method, job=f"{model}_{dataset}_{method}",
                         edits=len(secs), edit_s=sum(secs), s_per_edit=pd.Series(secs).median() if secs else 0.0))
    return pd.DataFrame(rows, columns=["model", "dataset", "method", "job", "edits", "edit_s", "s_per_edit"])


def score_seconds(paths: list[str | Path]) -> pd.DataFrame:
    """Per scoring job (results/scores/<model>/<dataset>/<method>/<n>.json): the seconds its checkpoints took."""
    rows = []
    for p in map(Path, paths):
        job = f"{p.parent.parent.parent.name}_{p.parent.parent.name}_{p.parent.name}"
        rows.append(dict(job=job, score_s=float(json.loads(p.read_text()).get("seconds", float("nan")))))
    return pd.DataFrame(rows, columns=["job", "score_s"]).groupby("job", as_index=False).sum()


def logged_work(bench_paths: list[str | Path], logs_dir: str | Path = "logs") -> dict[tuple[str, str], float]:
    """(rule, job) -> the work seconds a job logged (`deltaedit.logs.work_timer`) in logs/<rule>/<job>.log, the
    log beside its benchmark file; the last such line counts (a log is appended to when a job reruns)."""
    out = {}
    for p in map(Path, bench_paths):
        log = Path(logs_dir) / p.parent.name / f"{p.stem}.log"
        lines = [l for l in log.read_text(errors="replace").splitlines() if " deltaedit.work INFO work " in l] \
            if log.exists() else []
        if lines:
            out[(p.parent.name, p.stem)] = float(lines[-1].rsplit("work ", 1)[1].split()[0])
    return out


def cost_table(bench: pd.DataFrame, edits: pd.DataFrame, scores: pd.DataFrame, pretrain_s: dict[str, float],
               logged: dict[tuple[str, str], float] | None = None) -> pd.DataFrame:
    """Per rule: jobs, wall seconds (sum, mean), CPU seconds, peak memory, work seconds and the work share.
    The work of a job is what its outputs report (editing runs, score files, pretraining), else what it logged."""
    b = bench.copy()
    work = dict(logged or {})
    work.update({("edit_run", j): s for j, s in zip(edits.job, edits.edit_s)})
    work.update({("score_run", j): s for j, s in zip(scores.job, scores.score_s)})
    work.update({("factworld_pretrain", j): s for j, s in pretrain_s.items()})
    b["work_s"] = [work.get((r, j), float("nan")) for r, j in zip(b.rule, b.job)]
    t = b.groupby("rule").agg(jobs=("s", "size"), wall_s=("s", "sum"), mean_s=("s", "mean"),
                              cpu_s=("cpu_time", "sum"), peak_rss_mb=("max_rss", "max"),
                              work_s=("work_s", lambda x: x.sum(min_count=1)))
    t["work_share"] = t.work_s / t.wall_s
    t.loc["all"] = [t.jobs.sum(), t.wall_s.sum(), float("nan"), t.cpu_s.sum(), t.peak_rss_mb.max(),
                    t.work_s.sum(), t.work_s.sum() / t.wall_s.sum()]
    return t.sort_values("wall_s", ascending=False)


def plot_costs(table: pd.DataFrame, edits: pd.DataFrame, path: str | Path) -> None:
    """Three panels: wall seconds per rule (work part shaded), peak memory per rule, seconds per edit per
    method and model (one colour per method, as in every figure)."""
    t = table.drop(index="all")
    fig, (a, b, c) = new_figure(3, width=4.6, height=3.6)
    a.barh(t.index, t.wall_s, color="#bbbbbb", label="the rest: start-up, I/O, or work the job does not report")
    a.barh(t.index, t.work_s.fillna(0), color="#4477aa", label="editing / scoring / training")
    a.set_xlabel("wall seconds, all jobs of the rule")
    a.legend(fontsize=7)
    b.barh(t.index, t.peak_rss_mb, color="#777777")
    b.set_xlabel("peak resident memory of a job (MB)")
    per = edits.groupby(["model", "method"]).s_per_edit.median().unstack("method")
    x = range(len(per.index))
    width = 0.8 / max(1, len(per.columns))
    for i, method in enumerate(per.columns):
        c.bar([v + i * width for v in x], per[method], width, label=method, color=method_color(method))
    c.set_xticks([v + 0.4 - width / 2 for v in x], per.index, fontsize=7)
    c.set_ylabel("median seconds per edit")
    c.legend(fontsize=6)
    save_figure(fig, path)
