"""The Snakemake workflow: config schema at parse time, dry runs of the presets."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")


def snakemake(*args, cwd=ROOT, timeout=300):
    return subprocess.run([SNAKEMAKE, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("preset", ["factworld", "factworld-full", "smoke"])
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
                "results/scores/factworld-tiny-gpt2/zsre/alphaedit/4.json"):
        assert (work / rel).is_file(), rel
    table = (work / "results/tables/table1.csv").read_text()
    assert "deltaedit" in table and "alphaedit" in table
    r = snakemake("--cores", "1", "--config", "preset=smoke", "--report", "report.html", cwd=work)
    assert r.returncode == 0 and (work / "report.html").stat().st_size > 10_000, r.stderr[-2000:]


@pytest.mark.slow
def test_changing_table_code_reruns_only_tables(smoke_run):
    script = smoke_run / "workflow/scripts/make_tables.py"
    script.write_text(script.read_text() + "# a change to the table code\n")
    r = snakemake("-n", "--config", "preset=smoke", cwd=smoke_run)
    assert r.returncode == 0, r.stderr[-2000:]
    jobs = r.stdout.split("Job stats:")[1].split("Reasons")[0]
    assert "make_tables" in jobs and "edit_run" not in jobs and "score_checkpoint" not in jobs, jobs
