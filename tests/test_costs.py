"""Where the time goes: the work each job reports against its benchmark's wall seconds."""
import logging

import pandas as pd
import pytest

from deltaedit.costs import cost_table, edit_seconds, load_benchmarks, logged_work
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
    (logs / "analysis/m_cf.log").write_text("2026 deltaedit.work INFO work 3.000 s\n2026 deltaedit.work INFO work 6.500 s\n")
    (logs / "eta_run/m_cf_2.0_4.log").write_text("2026 other INFO nothing\n2026 deltaedit.work INFO work 15.000 s\n")
    assert logged_work(paths, logs) == {("analysis", "m_cf"): 6.5, ("eta_run", "m_cf_2.0_4"): 15.0}


def test_cost_table_shares_work_in_wall_time_and_prefers_what_outputs_report(tmp_path):
    log = tmp_path / "results/edits/m/cf/memit/edits.jsonl"
    log.parent.mkdir(parents=True)
    log.write_text('{"seconds": 1.0}\n{"seconds": 3.0}\n')
    edits = edit_seconds([log])
    assert edits.edit_s.tolist() == [4.0] and edits.s_per_edit.tolist() == [2.0]
    paths = [bench(tmp_path, "edit_run", "m_cf_memit", 8.0), bench(tmp_path, "analysis", "m_cf", 10.0),
             bench(tmp_path, "make_tables", "all", 2.0)]
    logged = {("edit_run", "m_cf_memit"): 7.0, ("analysis", "m_cf"): 6.0}     # the run's own edits.jsonl wins
    t = cost_table(load_benchmarks(paths), edits, pd.DataFrame(columns=["job", "score_s"]), {}, logged)
    assert t.loc["edit_run", "work_s"] == 4.0 and t.loc["edit_run", "work_share"] == 0.5
    assert t.loc["analysis", "work_share"] == pytest.approx(0.6)
    assert pd.isna(t.loc["make_tables", "work_s"])                       # reports nothing: counted as not work
    assert t.loc["all", "work_s"] == 10.0 and t.loc["all", "work_share"] == pytest.approx(10 / 20)
