"""Where the workflow's time goes: every job's Snakemake `benchmark:` file, with the work each job logs.

A benchmark file (benchmarks/<rule>/<job>.tsv) gives a job's wall seconds `s`, `cpu_time` and peak resident
memory `max_rss` (MB). Every job that does work times it one way (`deltaedit.logs.work_timer`, a line
"work <wall> s cpu <cpu> s process <cpu> s" in logs/<rule>/<job>.log): editing, scoring, pretraining, key statistics,
templates, reference predictions, general capability, the checks, the analysis. What the benchmark counts
beyond it is start-up (interpreter, imports, model loading); the aggregation jobs count as start-up only.
The CPU share divides the work's CPU seconds by the process's whole CPU seconds, both logged by the job:
the benchmark's `cpu_time` is sampled at intervals and undercounts (a job's logged work CPU can exceed it).
The per-edit seconds come from the runs' edits.jsonl.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from deltaedit.eval.plots import method_color, new_figure, save_figure


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


def logged_work(bench_paths: list[str | Path], logs_dir: str | Path = "logs") -> dict[tuple[str, str], tuple[float, ...]]:
    """(rule, job) -> (wall, CPU, process CPU) work seconds a job logged (`deltaedit.logs.work_timer`) in
    logs/<rule>/<job>.log, the log beside its benchmark file; NaN for a field an older log lacks. A job that
    logs several (a rerun appends to its log) counts its last."""
    out = {}
    for p in map(Path, bench_paths):
        log = Path(logs_dir) / p.parent.name / f"{p.stem}.log"
        lines = [l for l in log.read_text(errors="replace").splitlines() if " deltaedit.work INFO work " in l] \
            if log.exists() else []
        if lines:
            words = lines[-1].rsplit("work ", 1)[1].split()       # "<wall> s cpu <cpu> s process <cpu> s"
            field = lambda i: float(words[i]) if len(words) > i else float("nan")
            out[(p.parent.name, p.stem)] = (field(0), field(3), field(6))
    return out


def cost_table(bench: pd.DataFrame, logged: dict[tuple[str, str], tuple[float, ...]]) -> pd.DataFrame:
    """Per rule: jobs, wall seconds (sum, mean), the benchmark's CPU seconds, peak memory, the logged work in
    wall and CPU seconds, the work's share of the wall time and of the CPU time (work CPU over the logged
    process CPU; NaN where a rule's jobs log no process CPU). A job that logs no work counts as start-up only."""
    b = bench.copy()
    none = (float("nan"),) * 3
    for i, col in enumerate(("work_s", "work_cpu_s", "process_cpu_s")):
        b[col] = [logged.get((r, j), none)[i] for r, j in zip(b.rule, b.job)]
    total = lambda x: x.sum(min_count=1)                                  # NaN when no job of the rule logs
    t = b.groupby("rule").agg(jobs=("s", "size"), wall_s=("s", "sum"), mean_s=("s", "mean"),
                              cpu_s=("cpu_time", "sum"), peak_rss_mb=("max_rss", "max"),
                              work_s=("work_s", total), work_cpu_s=("work_cpu_s", total),
                              process_cpu_s=("process_cpu_s", total))
    t["work_share"] = t.work_s / t.wall_s
    t["cpu_work_share"] = t.work_cpu_s / t.process_cpu_s
    # over all jobs: the jobs that log their process CPU, and the jobs that log no work (all start-up), which
    # count with their benchmark's CPU
    has, idle = b.process_cpu_s.notna(), b.work_s.isna()
    job_cpu = b.process_cpu_s[has].sum() + b.cpu_time[idle].sum()
    t.loc["all"] = [t.jobs.sum(), t.wall_s.sum(), float("nan"), t.cpu_s.sum(), t.peak_rss_mb.max(),
                    t.work_s.sum(), t.work_cpu_s.sum(min_count=1), job_cpu if has.any() else float("nan"),
                    t.work_s.sum() / t.wall_s.sum(), b.work_cpu_s[has].sum() / job_cpu if has.any() else float("nan")]
    return t.sort_values("wall_s", ascending=False)


def plot_costs(table: pd.DataFrame, edits: pd.DataFrame, path: str | Path) -> None:
    """Three panels: wall seconds per rule (work part shaded), peak memory per rule, seconds per edit per
    method and model (one colour per method, as in every figure)."""
    t = table.drop(index="all")
    fig, (a, b, c) = new_figure(3, width=4.6, height=3.6)
    a.barh(t.index, t.wall_s, color="#bbbbbb", label="the rest: start-up (interpreter, imports, model loading)")
    a.barh(t.index, t.work_s.fillna(0), color="#4477aa", label="logged work: editing, scoring, training, ...")
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
