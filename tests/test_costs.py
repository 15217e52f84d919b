"""Where the time goes: the work each job reports against its benchmark's wall seconds."""
import logging
import math

import pandas as pd
import pytest

from deltaedit.study.costs import cost_table, edit_seconds, load_benchmarks, logged_work
from deltaedit.logs import work_timer


def bench(root, rule, job, s):
    p = root / "benchmarks" / rule / f"{job}.tsv"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(f"s\th:m:s\tmax_rss\tcpu_time\n{s}\t0:00:{int(s)}\t100\t{s}\n")
    return p


def test_work_timer_logs_the_seconds_that_the_cost_table_reads(tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="deltaedit.work"), work_timer():
        pass
    assert caplog.records[-1].name == "deltaedit.work" and caplog.records[-1].getMessage().startswith("work ")
    paths = [bench(tmp_path, "analysis", "m_cf", 10.0), bench(tmp_path, "eta_run", "m_cf_2.0_4", 20.0),
             bench(tmp_path, "make_tables", "all", 2.0)]
    logs = tmp_path / "logs"
    (logs / "analysis").mkdir(parents=True)
    (logs / "eta_run").mkdir()
    # a rerun appends to the log: the last line counts
    (logs / "analysis/m_cf.log").write_text("2026 deltaedit.work INFO work 3.000 s cpu 5.000 s process 7.0 s\n"
                                           "2026 deltaedit.work INFO work 6.500 s cpu 12.000 s process 14.0 s\n")
    (logs / "eta_run/m_cf_2.0_4.log").write_text("2026 other INFO nothing\n2026 deltaedit.work INFO work 15.000 s cpu 9.5 s\n")
    got = logged_work(paths, logs)
    assert got[("analysis", "m_cf")] == (6.5, 12.0, 14.0) and set(got) == {("analysis", "m_cf"), ("eta_run", "m_cf_2.0_4")}
    assert got[("eta_run", "m_cf_2.0_4")][:2] == (15.0, 9.5) and math.isnan(got[("eta_run", "m_cf_2.0_4")][2])  # older log


def test_work_timer_counts_the_cpu_of_every_thread(caplog):
    """0.2 CPU seconds of busy loop then a 0.3 s sleep: the sleep counts as wall time but not as CPU (also on
    a loaded machine, where the loop takes longer than 0.2 s of wall time)."""
    import time

    with caplog.at_level(logging.INFO, logger="deltaedit.work"), work_timer():
        c0 = time.process_time()
        while time.process_time() - c0 < 0.2:
            pass
        time.sleep(0.3)
    words = caplog.records[-1].getMessage().split()          # work <wall> s cpu <cpu> s process <cpu> s
    wall, cpu, process = float(words[1]), float(words[4]), float(words[7])
    assert cpu >= 0.2 and wall >= cpu + 0.3 and cpu < 0.3
    assert process >= cpu                                     # the process's CPU includes what came before


def test_cost_table_shares_the_logged_work_in_wall_and_cpu_time(tmp_path):
    log = tmp_path / "results/edits/m/cf/memit/edits.jsonl"
    log.parent.mkdir(parents=True)
    log.write_text('{"seconds": 1.0}\n{"seconds": 3.0}\n')
    edits = edit_seconds([log])
    assert edits.edit_s.tolist() == [4.0] and edits.s_per_edit.tolist() == [2.0]
    paths = [bench(tmp_path, "edit_run", "m_cf_memit", 8.0), bench(tmp_path, "analysis", "m_cf", 10.0),
             bench(tmp_path, "make_tables", "all", 2.0)]                   # cpu_time = s in these files
    logged = {("edit_run", "m_cf_memit"): (4.0, 6.0, 8.0), ("analysis", "m_cf"): (6.0, 5.0, 12.0)}
    t = cost_table(load_benchmarks(paths), logged)
    assert t.loc["edit_run", "work_share"] == 0.5 and t.loc["edit_run", "cpu_work_share"] == 0.75
    assert t.loc["analysis", "work_share"] == pytest.approx(0.6) and t.loc["analysis", "cpu_work_share"] == pytest.approx(5 / 12)
    assert pd.isna(t.loc["make_tables", "work_s"])                       # logs nothing: counted as start-up
    assert t.loc["all", "work_s"] == 10.0 and t.loc["all", "work_share"] == pytest.approx(10 / 20)
    # the process CPU, not the benchmark's sampled cpu_time (8 s for edit_run's job), is the denominator;
    # make_tables logs nothing and counts with its benchmark's 2 CPU seconds
    assert t.loc["all", "cpu_work_share"] == pytest.approx(11 / (8 + 12 + 2))
    older = cost_table(load_benchmarks(paths), {k: v[:2] + (float("nan"),) for k, v in logged.items()})
    assert pd.isna(older.loc["all", "cpu_work_share"]) and pd.isna(older.loc["edit_run", "cpu_work_share"])
    nothing = cost_table(load_benchmarks(paths), {k: (v[0], float("nan"), float("nan")) for k, v in logged.items()})
    assert pd.isna(nothing.loc["all", "work_cpu_s"])                    # no CPU logged: not 0
