"""The README's first edit runs as written (on the tiny world instead of the main job's small one)."""
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _library_block() -> str:
    text = README.read_text()
    section = text.split("## A first edit", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
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
    for profile in ("slurm", "slurm-4090"):
        assert f"--profile {profile}" in text and (root / "profiles" / profile / "config.yaml").exists()
