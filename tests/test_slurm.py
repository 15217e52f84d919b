"""`snakemake --profile slurm` for the paper preset, submitted to a fake SLURM.

Fake `sbatch` records its arguments and reports the job COMPLETED without running it; the jobs' outputs
are then missing, so the run ends in errors, but every job whose inputs exist has been submitted, and the
test reads what was asked of SLURM: the partition and exactly one GPU of the profile's model for the GPU
rules, no GPU for the CPU rules.
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")

FAKE = {
    # one file per submission: Snakemake submits side by side, and appends of command lines longer than a pipe
    # buffer (the profile's resources, base64-encoded) would interleave in one shared file
    "sbatch": """#!/bin/bash
id=$$
echo "$@" > "$(mktemp "$FAKE_SLURM/sbatch.XXXXXX")"
name=""
prev=""
for a in "$@"; do
  case "$a" in --job-name=*) name="${a#--job-name=}";; esac
  if [ "$prev" = "--job-name" ]; then name="$a"; fi
  prev="$a"
done
echo "$id|COMPLETED" >> "$FAKE_SLURM/state_$name"
echo "$id"
""",
    "sacct": """#!/bin/bash
name=""
prev=""
for a in "$@"; do
  case "$a" in --name=*) name="${a#--name=}";; esac
  if [ "$prev" = "--name" ]; then name="$a"; fi
  prev="$a"
done
cat "$FAKE_SLURM/state_$name" 2>/dev/null
""",
}
NOOPS = ("scontrol", "sacctmgr", "sshare", "sinfo", "squeue", "scancel", "srun")


def fake_slurm(tmp: Path) -> dict:
    bin_dir = tmp / "bin"
    bin_dir.mkdir()
    for name, text in FAKE.items():
        (bin_dir / name).write_text(text)
    for name in NOOPS:
        (bin_dir / name).write_text("#!/bin/bash\nexit 0\n")
    for p in bin_dir.iterdir():
        p.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "FAKE_SLURM": str(tmp)}


README = ROOT / "README.md"
GPU_MODEL = {"slurm": "a100", "slurm-4090": "rtx4090"}


def readme_profile_commands() -> dict[str, list[str]]:
    """Every `snakemake --profile <name>` command line of the README's code blocks, by profile name."""
    blocks = re.findall(r"```bash\n(.*?)```", README.read_text(), re.S)
    lines = [ln.split("#")[0].split() for b in blocks for ln in b.splitlines()]
    return {ln[2]: ln for ln in lines if ln[:2] == [".venv/bin/snakemake", "--profile"] and len(ln) >= 3}


def test_readme_names_every_cluster_profile_by_the_one_convention():
    """A cluster profile lives in profiles/<name>/ and a link <name> at the root makes `--profile <name>` work."""
    commands = readme_profile_commands()
    shipped = {p.name for p in (ROOT / "profiles").iterdir() if p.name != "default"}   # default: the workflow profile
    assert set(commands) == shipped == set(GPU_MODEL)
    for name in shipped:
        link = ROOT / name
        assert link.is_symlink() and link.resolve() == (ROOT / "profiles" / name).resolve(), name


def workflow_copy(tmp_path: Path) -> Path:
    """The repository's workflow files and profile links in a scratch folder (so the repository stays clean)."""
    work = tmp_path / "wf"
    work.mkdir()
    for name in ("Snakefile", "config.yaml", "workflow", "profiles", *GPU_MODEL):
        src = ROOT / name
        if src.is_symlink():
            (work / name).symlink_to(os.readlink(src))
        else:
            (shutil.copytree if src.is_dir() else shutil.copy)(src, work / name)
    return work


def as_typed(command: list[str]) -> list[str]:
    return [SNAKEMAKE, *command[1:]]          # .venv/bin/snakemake is this interpreter's snakemake


@pytest.mark.parametrize("profile", sorted(GPU_MODEL))
def test_readme_profile_command_plans_the_paper_preset_for_both_models(tmp_path, profile):
    """The README's command as printed, with -n: the profile selects the paper preset for GPT2-XL and Llama3-8B."""
    work = workflow_copy(tmp_path)
    r = subprocess.run([*as_typed(readme_profile_commands()[profile]), "-n"], cwd=work,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    for model in ("gpt2-xl", "llama3-8b"):
        assert f"results/edits/{model}/counterfact/alphaedit" in r.stdout, model


@pytest.mark.slow
@pytest.mark.parametrize("profile", sorted(GPU_MODEL))
def test_paper_preset_submits_gpu_rules_with_the_gpus_of_the_profiles_model(tmp_path, profile):
    if shutil.which("bash") is None:
        pytest.skip("needs bash for the fake SLURM commands")
    gpu_model = GPU_MODEL[profile]
    work = workflow_copy(tmp_path)
    # inputs of the editing jobs exist (placeholders), except the ZsRE data: its download is a CPU job
    for rel in ("resources/data/multi_counterfact.json", "resources/stats/gpt2-xl.pt", "resources/stats/llama3-8b.pt",
                *(f"resources/templates/{m}/{t}.json" for m in ("gpt2-xl", "llama3-8b") for t in ("10x5", "5x10-10x10"))):
        (work / rel).parent.mkdir(parents=True, exist_ok=True)
        (work / rel).write_text("placeholder")
    env = fake_slurm(tmp_path)
    # the README's command as typed (the profile itself selects the paper preset), with what a fake SLURM needs:
    # no waiting for outputs that a fake job never writes
    r = subprocess.run([*as_typed(readme_profile_commands()[profile]), "--keep-going",
                        "--latency-wait", "0", "--retries", "0", "--slurm-init-seconds-before-status-checks", "1"],
                       cwd=work, env=env, capture_output=True, text=True, timeout=300)
    log = [line for p in sorted(tmp_path.glob("sbatch.*")) for line in p.read_text().splitlines()]
    assert log, (r.stdout + r.stderr)[-3000:]
    by_rule: dict[str, list[str]] = {}
    for line in log:
        rule = line.split("--comment")[1].split()[0].removeprefix("rule_").split("_wildcards")[0]
        by_rule.setdefault(rule, []).append(line)
    assert len(by_rule["edit_run"]) == 2 * 7            # 2 models x 7 methods on CounterFact
    methods = ("ft", "rome", "memit", "prune", "rect", "alphaedit", "deltaedit")
    runs = {line.split("rule_edit_run_wildcards_")[1].split()[0] for line in by_rule["edit_run"]}
    assert runs == {f"{m}_counterfact_{x}" for m in ("gpt2-xl", "llama3-8b") for x in methods}   # the paper preset
    assert len(by_rule["download_data"]) == 1
    gpu_rules = ("edit_run", "reference_predictions", "general_unedited")
    for rule in gpu_rules:
        for line in by_rule[rule]:
            # the 4090 profile (24 GB cards, Llama3-8B in bf16 with its edited layers in fp32) spreads a Llama
            # editing job over two cards by the memory estimate (deltaedit.workflow.placement); every other job has one
            n = 2 if profile == "slurm-4090" and f"rule_{rule}_wildcards_llama3-8b" in line and rule == "edit_run" else 1
            assert line.count("--gpus") + line.count("--gres") == 1 and f"--gpus={gpu_model}:{n}" in line, line
            assert "-p gpu" in line, line
    (dl,) = by_rule["download_data"]
    assert "--gpus" not in dl and "--gres" not in dl and "-p cpu" in dl, dl


@pytest.mark.parametrize("profile", sorted(GPU_MODEL))
def test_every_copy_of_a_rule_gets_the_resources_of_the_rule_it_copies(profile):
    """`use rule A as B with:` makes B a rule of its own, which a profile's set-resources must name too (else a
    long run's scoring would go to the CPU partition with the default time limit)."""
    import yaml
    copies = re.findall(r"use rule (\w+) as (\w+)", "".join(p.read_text() for p in (ROOT / "workflow/rules").rglob("*.smk")))
    assert ("score_run", "score_run_long_general") in copies
    resources = yaml.safe_load((ROOT / "profiles" / profile / "config.yaml").read_text())["set-resources"]
    for rule, copy in copies:
        if rule in resources:
            assert copy in resources and resources[copy]["slurm_partition"] == resources[rule]["slurm_partition"], copy
