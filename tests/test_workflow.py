"""The Snakemake workflow: config schema at parse time, dry runs of the presets."""
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")


def snakemake(*args, cwd=ROOT, timeout=300):
    return subprocess.run([SNAKEMAKE, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("preset", [
    *(pytest.param(p, marks=pytest.mark.slow) for p in ("factworld", "factworld-full", "paper", "scout", "study")),
    "smoke"])                                     # tests/test_plan.py plans every preset without Snakemake
def test_presets_dry_run(preset):
    r = snakemake("-n", "--quiet", "--config", f"preset={preset}")
    assert r.returncode == 0, r.stderr[-3000:]


@pytest.mark.parametrize("override,culprit", [
    ("preset=papers", "papers"),
    ("checkpoints=7", "checkpoints"),
    ("bogus_key=1", "bogus_key"),
    ("methods=['memit','nosuch']", "nosuch"),
])
def test_bad_config_fails_at_parse_time_naming_the_culprit(override, culprit):
    r = snakemake("-n", "--config", override)
    assert r.returncode != 0
    assert culprit in (r.stdout + r.stderr)


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    """The smoke preset for real, in a copy of the workflow (so the repository stays clean)."""
    import shutil
    work = tmp_path_factory.mktemp("smoke")
    for name in ("Snakefile", "config.yaml", "workflow", "profiles"):
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, work / name)
    r = snakemake("--cores", "2", "--config", "preset=smoke", cwd=work, timeout=1800)
    assert r.returncode == 0, (r.stdout + r.stderr)[-5000:]
    return work


@pytest.mark.slow
def test_smoke_preset_produces_every_table_figure_and_report(smoke_run):
    work = smoke_run
    for rel in ("results/tables/table1.csv", "results/tables/table1.md", "results/tables/table1.tex",
                "results/tables/table2_noise.csv", "results/tables/table3_kbeta.csv",
                "results/figures/efficacy_top.png", "results/figures/noise_E.png", "results/figures/k_beta.png",
                "results/factworld/tiny/summary.json", "results/factworld/tiny/editability.png",
                "results/edits/factworld-tiny-gpt2/counterfact/deltaedit/ckpt_4/deltas.safetensors",
                "results/scores/factworld-tiny-gpt2/zsre/alphaedit/4.json",
                "results/scores/factworld-tiny-gpt2/counterfact/noedit/4.json",
                "results/general/factworld-tiny-gpt2/counterfact/deltaedit/4.json", "results/tables/general_f1.csv",
                "results/figures/general_f1.png", "results/figures/general_f1_diff.png",
                "results/figures/tsne/factworld-tiny-gpt2_counterfact.png",
                "results/case_studies/factworld-tiny-gpt2_counterfact.md",
                "results/figures/eta_sweep.png", "results/tables/eta_sweep.csv", "results/figures/costs.png",
                "results/costs/costs.csv", "results/costs/per_edit.md", "results/figures/fig1.png",
                "results/figures/fig2_kbeta.png", "results/figures/fig4a_noise.png", "results/figures/noise_layers.png",
                "results/figures/trigger_rate.png", "results/claims.json", "results/tables/claims.md"):
        assert (work / rel).is_file(), rel
    claims = json.loads((work / "results/claims.json").read_text())
    assert set(claims["verdicts"]) == set("abcde") | {"beyond"}
    assert set(claims["verdicts"].values()) <= {"holds", "does not hold", "mixed", "not run"}
    assert claims["verdicts"]["e"] == "not run" and claims["verdicts"]["c"] != "not run"   # no L2 variants here
    # the preset's long runs (long_runs) go on to 6 edits; the other runs stop at 4 and Table 1 compares at 4
    long_run = json.loads((work / "results/scores/factworld-tiny-gpt2/counterfact/memit/6.json").read_text())
    assert long_run["n_edits"] == 6 and len(long_run["records"]) == 6
    assert not (work / "results/scores/factworld-tiny-gpt2/counterfact/alphaedit/6.json").exists()
    assert not (work / "results/scores/factworld-tiny-gpt2/zsre/memit/6.json").exists()
    # general capability and the order replica on CounterFact only (general.datasets, order_replicas.datasets)
    assert not (work / "results/general/factworld-tiny-gpt2/zsre").exists()
    assert not (work / "results/edits/factworld-tiny-gpt2/zsre/memit-o1").exists()
    # the order replica memit-o1 edits the same records in another order, and Table 1 pools it with memit
    order = lambda run: [c for line in (work / f"results/edits/factworld-tiny-gpt2/counterfact/{run}/edits.jsonl")
                         .read_text().splitlines() for c in json.loads(line)["case_ids"]]
    assert sorted(order("memit")) == sorted(order("memit-o1")) and order("memit") != order("memit-o1")
    # every run draws from the same records: a short run edits a prefix of a long run's, and so does the
    # unedited row, so that Table 1 scores every method on the same records
    assert order("alphaedit") == order("memit")[:4]
    noedit = json.loads((work / "results/edits/factworld-tiny-gpt2/counterfact/noedit/ckpt_4/edited.json").read_text())
    assert noedit == order("memit")[:4]
    pooled = (work / "results/tables/table1_orders.md").read_text()
    assert "memit-o1" not in pooled and "(2)" in pooled
    table = (work / "results/tables/table1.csv").read_text()
    assert "deltaedit" in table and "alphaedit" in table and "noedit" in table and "deltaedit-code" in table
    general = json.loads((work / "results/general/factworld-tiny-gpt2/counterfact/unedited.json").read_text())
    assert general["n_edits"] == 0 and general["tasks"]["world_facts"]["acc"] >= 0.9   # the world was learned
    noedit = json.loads((work / "results/scores/factworld-tiny-gpt2/counterfact/noedit/4.json").read_text())
    assert noedit["summary"]["specificity_top"]["mean"] == 100                      # nothing was edited
    r = snakemake("--cores", "1", "--config", "preset=smoke", "--report", "report.html", cwd=work)
    assert r.returncode == 0 and (work / "report.html").stat().st_size > 10_000, r.stderr[-2000:]
    report = (work / "report.html").read_text()       # the front page leads with what the run found
    assert "What this run found" in report and "Table 1 in brief" in report and "go on to [6] edits" in report
    # the run plan lists exactly the benchmark files the jobs wrote (rule costs reads them)
    from deltaedit.workflow.plan import Plan, load_config
    written = {str(p.relative_to(work)) for p in (work / "benchmarks").rglob("*.tsv")} - {"benchmarks/costs/all.tsv"}
    assert set(Plan(load_config({"preset": "smoke"}, work)).benchmark_files()) == written


@pytest.mark.slow
@pytest.mark.parametrize("script,rule", [("make_tables.py", "make_tables"), ("plot_figures.py", "plot_figures"),
                                         ("claims.py", "claims")])
def test_changing_table_or_figure_code_reruns_only_that_rule(smoke_run, tmp_path, script, rule):
    import shutil
    work = tmp_path / "wf"                          # a copy: each change is seen alone (14 MB, mtimes kept)
    shutil.copytree(smoke_run, work, symlinks=True)
    path = work / "workflow/scripts" / script
    path.write_text(path.read_text() + "# a change to the table / figure code\n")
    r = snakemake("-n", "--config", "preset=smoke", cwd=work)
    assert r.returncode == 0, r.stderr[-2000:]
    # costs runs last and reads every job's benchmark; the report's front page shows Table 1, Fig. 1 and the claims
    assert _planned(r.stdout) == {rule, "report_front", "costs", "all"}


@pytest.mark.slow
def test_claims_protocol_v2_pairs_the_smoke_runs(smoke_run, tmp_path):
    """The real-model protocol's verdicts (config claims_protocol: v2) from the same score files: only rule
    claims reruns, and its JSON has both column sets in the protocol's words."""
    import shutil
    from deltaedit.study.verdicts import WORDS
    work = tmp_path / "wf"
    shutil.copytree(smoke_run, work, symlinks=True)
    r = snakemake("--cores", "1", "--config", "preset=smoke", "claims_protocol=v2", "--", "results/claims.json",
                  cwd=work)
    assert r.returncode == 0, r.stderr[-3000:]
    claims = json.loads((work / "results/claims.json").read_text())
    assert claims["protocol"] == "v2" and set(claims["verdicts"]) == {"teacher_forced", "generation"}
    for words in claims["verdicts"].values():
        assert set(words) == {*"0abcde", "beyond"} and set(words.values()) <= set(WORDS)
        assert words["beyond"] == "n/a"                            # the smoke preset runs no variant of ours
    zero = claims["models"]["factworld-tiny-gpt2"]["teacher_forced"]["zero"]   # memit and alphaedit, file order
    assert zero["parts"]["efficacy_top"]["orders"][0]["n"] > 0 and claims["verdicts"]["teacher_forced"]["e"] == "n/a"


EDIT_AND_SCORE = {"edit_run", "edit_run_long", "score_run", "score_run_long", "score_run_general", "score_run_long_general"}


def _pieces_commands() -> list[str]:
    """docs/workflow.md "A study in pieces": the piece and the assembly command, as printed."""
    text = (ROOT / "docs/workflow.md").read_text().split("## A study in pieces")[1].split("\n## ")[0]
    lines = [l.strip() for l in text.splitlines() if l.strip().startswith(".venv/bin/snakemake")]
    assert len(lines) == 2 and "from_scores=True" in lines[1], lines
    return lines


@pytest.mark.slow
def test_a_study_in_pieces_is_assembled_from_the_runs_files_alone(smoke_run, tmp_path):
    """A fresh copy of the workflow holding only a finished smoke run's committed files (scores, edit logs,
    general capability, analysis parts; no deltas, no resources/) runs the assembly command as printed (on the
    smoke preset): no editing or scoring job runs, and Table 1, the claims and the case studies come out as the
    run made them, the drift to rounding. Without one score file it stops before any job, naming the file."""
    import shutil
    work = tmp_path / "fresh"
    work.mkdir()
    for name in ("Snakefile", "config.yaml", "workflow", "profiles"):
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, work / name)
    kept = [p for sub in ("scores", "general", "sweep_scores") for p in (smoke_run / "results" / sub).rglob("*.json")]
    kept += [*(smoke_run / "results/analysis").rglob("*.npz"), *(smoke_run / "results/edits").rglob("edits.jsonl")]
    for p in kept:
        (work / p.relative_to(smoke_run)).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(p, work / p.relative_to(smoke_run))
    assembly = shlex.split(_pieces_commands()[1].replace("preset=smollm2", "preset=smoke"))
    r = snakemake(*assembly[1:], cwd=work, timeout=1800)
    assert r.returncode == 0, (r.stdout + r.stderr)[-4000:]
    ran = {line.split()[1].rstrip(":") for line in (r.stdout + r.stderr).splitlines()
           if line.startswith(("rule ", "localrule "))}     # "localrule" when run on this machine
    assert {"make_tables", "claims", "analysis"} <= ran and not ran & {*EDIT_AND_SCORE, "eta_run", "score_eta"}
    for rel in ("results/tables/table1.csv", "results/claims.json", "results/case_studies/factworld-tiny-gpt2_counterfact.md"):
        assert (work / rel).read_text() == (smoke_run / rel).read_text(), rel
    # The drift is measured against the unedited model, which the fresh copy pretrains again: multithreaded CPU
    # training repeats only to rounding (one CI run saw 0.672999 against 0.672989), so its numbers match to 1e-4.
    rel = "results/analysis/factworld-tiny-gpt2_zsre_drift.json"
    fresh, made = (json.loads((w / rel).read_text()) for w in (work, smoke_run))
    assert fresh["n_prompts"] == made["n_prompts"] and fresh["methods"].keys() == made["methods"].keys()
    for method, stats in made["methods"].items():
        again = fresh["methods"][method]
        assert again["n_edits"] == stats["n_edits"], method
        assert again["median_relative_drift"] == pytest.approx(stats["median_relative_drift"], rel=1e-4, abs=1e-6), method
    (work / "results/scores/factworld-tiny-gpt2/zsre/memit/2.json").unlink()
    r = snakemake("-n", *assembly[1:], cwd=work)
    assert r.returncode != 0 and "results/scores/factworld-tiny-gpt2/zsre/memit/2.json" in r.stdout + r.stderr


@pytest.mark.slow
def test_the_pieces_commands_plan_as_printed():
    """The real-model commands as printed, with -n: a piece edits and scores one run and nothing else; the
    assembly plans no editing or scoring job, or (before every run is committed) names what is missing."""
    piece, assembly = (shlex.split(c) for c in _pieces_commands())
    r = snakemake("-n", *piece[1:])
    assert r.returncode == 0, r.stderr[-3000:]
    planned = _planned(r.stdout)   # AlphaEdit on CounterFact: a long run with general capability
    assert {"edit_run_long", "score_run_long_general"} <= planned and not planned & {"make_tables", "analysis", "edit_run"}
    assert r.stdout.count("rule edit_run_long:") == 1 and "threads: 2" in r.stdout.split("rule edit_run_long:")[1]
    r = snakemake("-n", *assembly[1:])
    if r.returncode:
        out = r.stdout + r.stderr
        assert "from_scores:" in out and "files of the runs are missing" in out, out[-2000:]
    else:
        assert not _planned(r.stdout) & EDIT_AND_SCORE


def _planned(stdout: str) -> set[str]:
    """The rule names of a dry run's "Job stats" table."""
    table = stdout.split("Job stats:")[1].split("total")[0].splitlines()[3:]
    return {line.split()[0] for line in table if line.strip()}


@pytest.mark.slow
def test_recheck_reproduces_a_run_and_counts_a_changed_record(smoke_run, tmp_path, capsys):
    """`deltaedit recheck` reruns the first 2 edits of the smoke run's MEMIT beside its files: no record scores
    differently and its numbers agree to rounding (the rerun's threads differ from the job's); a committed
    record altered by hand is then counted, and the command exits 1; with --set it reruns an ablation."""
    from deltaedit.cli import main

    argv = ["recheck", "--preset", "smoke", "--dataset", "counterfact", "--run", "memit", "--n", "2",
            "--root", str(smoke_run), "--work", str(tmp_path / "re")]
    assert main(argv) == 0
    report = json.loads((tmp_path / "re/recheck.json").read_text())
    assert set(report["records_changed"]) >= {"efficacy_top", "specificity_top"}
    assert not any(report["records_changed"].values())
    assert report["edit_log"]["largest_relative_difference"] < 1e-3 and report["diagnostics"]["largest_relative_difference"] < 1e-3
    committed = smoke_run / "results/scores/factworld-tiny-gpt2/counterfact/memit/2.json"
    kept = committed.read_text()
    try:
        altered = json.loads(kept)
        altered["records"][0]["efficacy_top"] = 1.0 - altered["records"][0]["efficacy_top"]
        committed.write_text(json.dumps(altered))
        assert main(argv) == 1                       # the rerun's edits are resumed, its scores made again
    finally:
        committed.write_text(kept)
    assert json.loads((tmp_path / "re/recheck.json").read_text())["records_changed"]["efficacy_top"] == 1
    assert "efficacy_top 1" in capsys.readouterr().out
    # an ablation: the same edits with C0's weight λ raised a billionfold, where the ridge solve's update
    # (MEMIT's Δ = R Kᵀ (λ C0 + K Kᵀ)⁻¹) shrinks toward zero: the target's probability after each edit is the
    # one before it, and no edit holds; changed records are what was asked, so it exits 0
    assert main(argv[:-1] + [str(tmp_path / "ablate"), "--set", "mom2_update_weight=1e12"]) == 0
    ablated = json.loads((tmp_path / "ablate/recheck.json").read_text())
    assert ablated["overrides"] == {"mom2_update_weight": 1e12}
    med = ablated["edit_log"]["medians"]
    assert med["p_after"]["rerun"] == pytest.approx(med["p_before"]["rerun"], rel=1e-3)
    assert med["p_after"]["committed"] > 2 * med["p_before"]["committed"]   # the run itself edited
    assert ablated["means"]["efficacy_top"]["rerun"] < ablated["means"]["efficacy_top"]["committed"]


@pytest.mark.slow
def test_one_job_per_run_scores_like_one_job_per_checkpoint(smoke_run):
    """score_run scores every checkpoint of a run in one process; scoring a checkpoint alone (the former
    one-job-per-checkpoint layout) gives the same scores, diagnostics and general capability."""
    from deltaedit.workflow.jobs import score_job
    work, tmp = smoke_run, smoke_run / "alone"
    world = work / "resources/factworld/tiny"
    for dataset, method, n in (("counterfact", "deltaedit", 2), ("zsre", "alphaedit", 4), ("counterfact", "noedit", 4)):
        run = work / f"results/edits/factworld-tiny-gpt2/{dataset}/{method}"
        out, gen = tmp / f"{dataset}_{method}_{n}.json", tmp / f"{dataset}_{method}_{n}_general.json"
        general = dataset == "counterfact"   # the smoke preset's general.datasets
        score_job(str(world / "models/gpt2"), str(world / f"{dataset}.json"), dataset, [str(run / f"ckpt_{n}")],
                  str(work / f"resources/reference/factworld-tiny-gpt2/{dataset}.json"), [str(out)],
                  {"tasks": ["world_facts"], "limit": 16}, 6,   # n_run: the smoke's longest run
                  [str(gen)] if general else None)
        a = json.loads(out.read_text())
        b = json.loads((work / f"results/scores/factworld-tiny-gpt2/{dataset}/{method}/{n}.json").read_text())
        assert {k: v for k, v in a.items() if k != "seconds"} == {k: v for k, v in b.items() if k != "seconds"}
        if general:
            assert json.loads(gen.read_text()) == json.loads(
                (work / f"results/general/factworld-tiny-gpt2/{dataset}/{method}/{n}.json").read_text())


@pytest.mark.slow
def test_costs_table_and_figure(smoke_run):
    """Every benchmarked rule of the run is in the cost table, with the work the jobs report."""
    import pandas as pd
    t = pd.read_csv(smoke_run / "results/costs/costs.csv", index_col=0)
    assert {"edit_run", "score_run", "factworld_pretrain", "context_templates", "all"} <= set(t.index)
    # 5 runs on CounterFact (the order replica memit-o1 included), 4 on zsRE; scoring also the unedited row's 2
    assert t.loc["edit_run", "jobs"] == 9 and t.loc["score_run", "jobs"] == 11
    assert 0 < t.loc["edit_run", "work_share"] <= 1 and 0 < t.loc["all", "work_share"] <= 1
    per = pd.read_csv(smoke_run / "results/costs/per_edit.csv")
    assert set(per.method) == {"memit", "alphaedit", "deltaedit", "deltaedit-code", "memit-o1"}
    long = (per.dataset == "counterfact") & per.method.isin(["memit", "memit-o1", "deltaedit-code"])
    assert (per.edits[long] == 6).all() and (per.edits[~long] == 4).all()        # the long runs go on to 6
    assert (smoke_run / "results/figures/costs.png").stat().st_size > 10_000


PLUGIN = '''
from dataclasses import dataclass
from pathlib import Path

from deltaedit.core.spread import ValueHParams
from deltaedit.methods import Method, register


@dataclass(frozen=True)
class NudgeHParams(ValueHParams):
    scale: float = 1.0


@register
class Nudge(Method):
    name = "nudge"
    hparams_cls = NudgeHParams
    hparams_dir = str(Path(__file__).parent / "hparams")

    def compute_deltas(self, model, tok, requests, hp, state, ctx):
        raise RuntimeError("a dry run never edits")
'''


@pytest.mark.slow
def test_a_registered_throwaway_method_flows_through_a_dry_run(tmp_path):
    """docs/extending.md: one module + its hparams + one config entry."""
    (tmp_path / "hparams").mkdir()
    (tmp_path / "hparams" / "factworld-tiny-gpt2.yaml").write_text("layers: [0]\nscale: 2.0\n")
    plugin = tmp_path / "nudge.py"
    plugin.write_text(PLUGIN)
    r = snakemake("-n", "--config", "preset=smoke", "methods=[nudge, memit]", f"method_modules=[{plugin}]")
    assert r.returncode == 0, r.stderr[-3000:]
    out = r.stdout
    assert "results/edits/factworld-tiny-gpt2/counterfact/nudge/ckpt_4/deltas.safetensors" in out
    assert "results/scores/factworld-tiny-gpt2/zsre/nudge/4.json" in out
    # its hparams are checked at parse time like the built-ins'
    (tmp_path / "hparams" / "factworld-tiny-gpt2.yaml").write_text("layers: [0]\nscale: big\n")
    r = snakemake("-n", "--config", "preset=smoke", "methods=[nudge]", f"method_modules=[{plugin}]")
    assert r.returncode != 0 and "scale" in r.stdout + r.stderr


@pytest.mark.slow
def test_a_variant_is_a_run_of_its_own_and_its_overrides_are_checked():
    r = snakemake("-n", "--config", "preset=smoke", "methods=[alphaedit]",
                  "variants={alphaedit-l2big: {method: alphaedit, overrides: {L2: 50.0}}}")
    assert r.returncode == 0, r.stderr[-3000:]
    assert "results/scores/factworld-tiny-gpt2/zsre/alphaedit-l2big/4.json" in r.stdout
    for bad, culprit in (("{alphaedit-x: {method: alphaedit, overrides: {L2: big}}}", "L2"),
                         ("{alphaedit-x: {method: alphaedt, overrides: {L2: 1.0}}}", "alphaedt"),
                         ("{alphaedit-x: {method: alphaedit, overrides: {lamda: 1.0}}}", "lamda"),
                         ("{Bad_Name: {method: alphaedit, overrides: {L2: 1.0}}}", "Bad_Name")):
        r = snakemake("-n", "--config", "preset=smoke", "methods=[alphaedit]", f"variants={bad}")
        assert r.returncode != 0 and culprit in r.stdout + r.stderr, bad


@pytest.mark.slow
def test_long_runs_go_on_past_the_checkpoints_with_the_same_rules():
    r = snakemake("-n", "--config", "preset=smoke", "methods=[memit, alphaedit]",
                  "long_runs={models: [factworld-tiny-gpt2], datasets: [zsre], methods: [alphaedit], checkpoints: [9]}")
    assert r.returncode == 0, r.stderr[-3000:]
    out = r.stdout
    assert "results/edits/factworld-tiny-gpt2/zsre/alphaedit/ckpt_9/deltas.safetensors" in out
    assert "results/scores/factworld-tiny-gpt2/zsre/alphaedit/9.json" in out
    assert "zsre/memit/9.json" not in out and "counterfact/alphaedit/9.json" not in out
    assert "edit_run_long" in out and "score_run_long" in out        # the same rules, longer output lists
    r = snakemake("-n", "--config", "preset=smoke", "order_replicas={runs: [memit], seeds: [0]}")
    assert r.returncode != 0 and "order_replicas.seeds" in r.stdout + r.stderr      # the runs' own order
    r = snakemake("-n", "--config", "preset=smoke",
                  "long_runs={models: [factworld-tiny-gpt2], datasets: [zsre], methods: [alphaedt], checkpoints: [9]}")
    assert r.returncode == 0 and "alphaedt" in r.stderr                              # named, and nothing runs long
    assert not re.search(r"\b(edit|score)_run_long\b", r.stdout)


@pytest.mark.slow
def test_a_variant_can_set_a_value_per_model_and_it_is_checked():
    ok = "{alphaedit-l2p: {method: alphaedit, overrides: {}, per_model: {factworld-tiny-gpt2: {L2: 0.025}}}}"
    r = snakemake("-n", "--config", "preset=smoke", "methods=[alphaedit]", f"variants={ok}")
    assert r.returncode == 0, r.stderr[-3000:]
    assert "results/scores/factworld-tiny-gpt2/zsre/alphaedit-l2p/4.json" in r.stdout
    for bad, culprit in (("{alphaedit-l2p: {method: alphaedit, overrides: {}, per_model: {factworld-tiny-gpt2: {L2: big}}}}", "L2"),
                         ("{alphaedit-l2p: {method: alphaedit, overrides: {}, per_model: {gpt2-xxl: {L2: 1.0}}}}", "gpt2-xxl"),
                         ("{alphaedit-l2p: {method: alphaedit, overrides: {}}}", "overrides nothing")):
        r = snakemake("-n", "--config", "preset=smoke", "methods=[alphaedit]", f"variants={bad}")
        assert r.returncode != 0 and culprit in r.stdout + r.stderr, bad


@pytest.mark.slow
def test_an_external_method_rule_is_scored_like_the_others():
    r = snakemake("-n", "--config", "preset=smoke", "methods=[memit]")
    assert r.returncode == 0, r.stderr[-3000:]
    assert "noedit_run" in r.stdout and "results/scores/factworld-tiny-gpt2/counterfact/noedit/4.json" in r.stdout


@pytest.mark.slow
def test_paper_preset_dry_run_uses_hub_models_and_canonical_data():
    r = snakemake("-n", "--config", "preset=paper")
    assert r.returncode == 0, r.stderr[-3000:]
    out = r.stdout
    assert "resources/data/multi_counterfact.json" in out and "resources/data/zsre_mend_eval.json" in out
    assert "results/edits/llama3-8b/zsre/deltaedit/ckpt_3000/deltas.safetensors" in out
    assert "resources/factworld" not in out            # nothing of the fact world is built for the paper


CHECK_JS = """<script>
setTimeout(function () {
  var out = {}, pending = 0, names = Object.keys(results);
  function done() { var pre = document.createElement("pre"); pre.id = "deltaedit-check";
                    pre.textContent = JSON.stringify(out); document.body.appendChild(pre); }
  names.forEach(function (name) {
    var r = results[name];
    if (r.mime_type && r.mime_type.indexOf("image/") === 0) {
      pending++;
      var img = new Image();
      img.onload = function () { out[name] = {w: img.naturalWidth, h: img.naturalHeight}; if (--pending === 0) done(); };
      img.onerror = function () { out[name] = {error: true}; if (--pending === 0) done(); };
      img.src = r.data_uri;
    } else {
      var text = atob(r.data_uri.split(",")[1] || "");
      out[name] = {lines: text.split("\\n").filter(function (x) { return x.length; }).length};
    }
  });
  if (pending === 0) done();
}, 3000);
</script>"""


def _chromium():
    import shutil
    return next((shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)


def _browser(*args, tmp):
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp / 'profile'}", "--virtual-time-budget=20000"]
    return subprocess.run([_chromium(), *flags, *args], capture_output=True, text=True, timeout=180)


@pytest.mark.slow
def test_report_renders_every_figure_and_table_in_a_real_browser(smoke_run, tmp_path):
    """The report as a person sees it: headless Chromium runs the report's own page, every embedded figure
    decodes to an image with pixels, every table has rows, and the page draws something."""
    if _chromium() is None:
        pytest.skip("no Chromium on this machine (.ci/run installs Debian's `chromium` where it can)")
    report = smoke_run / "report.html"
    if not report.exists():
        r = snakemake("--cores", "1", "--config", "preset=smoke", "--report", "report.html", cwd=smoke_run)
        assert r.returncode == 0, r.stderr[-2000:]
    page = tmp_path / "report.html"
    head, tag, tail = report.read_text().rpartition("</body>")        # the page's own closing tag (the last one)
    page.write_text(head + CHECK_JS + tag + tail)
    r = _browser("--dump-dom", page.as_uri(), tmp=tmp_path)
    dom = r.stdout
    assert 'id="deltaedit-check"' in dom, r.stderr[-2000:]
    import html
    found = json.loads(html.unescape(dom.split('id="deltaedit-check">')[1].split("</pre>")[0]))
    expected = {p.name for p in (smoke_run / "results/figures").rglob("*.png")} | {"table1.csv", "costs.csv"}
    names = {k.rsplit("/", 1)[-1]: v for k, v in found.items()}
    missing = expected - set(names)
    assert not missing, f"not in the report: {sorted(missing)}"
    for name in expected:
        if name.endswith(".png"):
            assert names[name].get("w", 0) > 100 and names[name].get("h", 0) > 100, (name, names[name])
        else:
            assert names[name]["lines"] >= 2, name
    for menu in ("Figures", "Tables", "Cost"):
        assert f">{menu}<" in dom.replace(" ", ""), menu
    shot = tmp_path / "report.png"
    _browser(f"--screenshot={shot}", "--window-size=1280,900", report.as_uri(), tmp=tmp_path)
    import matplotlib.image
    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[0] == 900 and pixels.std() > 0.05       # not a blank page


def test_paper_preset_edits_in_file_order_and_truncates_at_the_context():
    """The references edit the first N records in file order (DeltaEdit's trigger history depends on it) and
    truncate C0's documents at the model's context; the fact-world presets keep a seeded order."""
    import yaml

    from deltaedit.runner import edit_order
    paper = yaml.safe_load((ROOT / "workflow/presets/paper.yaml").read_text())
    assert paper["order_seed"] is None and paper["stats"]["max_len"] is None
    assert edit_order(6, paper["order_seed"]) == [0, 1, 2, 3, 4, 5]
    assert yaml.safe_load((ROOT / "workflow/presets/factworld.yaml").read_text())["order_seed"] == 0
