"""The fact world's summary table and editability figure (what the README reports)."""
from __future__ import annotations

import json
from pathlib import Path

from deltaedit.factworld.build import world_stats


def summarize(world_dir: Path, checks: dict[str, Path], model_dirs: dict[str, Path]) -> dict:
    out = {"world": world_stats(Path(world_dir)), "models": {}}
    for arch, path in checks.items():
        train = json.loads((Path(model_dirs[arch]) / "train_summary.json").read_text())
        out["models"][arch] = {"n_params": train["n_params"], "size": train["size"],
                               "train_seconds": train["train_seconds"], **json.loads(Path(path).read_text())}
    return out


def markdown(summary: dict) -> str:
    w = summary["world"]
    edited = (f", {w['records']} in the edit records ({w['bystanders']} subjects are never-edited bystanders)"
              if w.get("bystanders") else "")
    lines = [f"Fact world: {w['subjects']} subjects x {w['relations']} relations = {w['facts']} facts{edited}, "
             f"BPE vocabulary {w['vocab']}.", "",
             "| model | parameters | layers x width | pretraining (min) | main top-1 | paraphrase top-1 | "
             "neighbourhood top-1 | editability by layer (value optimisation at the subject) |",
             "|---|---|---|---|---|---|---|---|"]
    for arch, m in summary["models"].items():
        acc, size = m["accuracy"], m["size"]
        curve = ", ".join(f"L{k}: {100 * v:.0f}%" for k, v in m["editability"].items())
        lines.append(f"| {arch} | {m['n_params'] / 1e6:.2f}M | {size['n_layer']} x {size['d_model']} "
                     f"(MLP {size['d_mlp']}) | {m['train_seconds'] / 60:.1f} | {100 * acc['main']:.1f}% | "
                     f"{100 * acc['paraphrase']:.1f}% | {100 * acc['neighborhood']:.1f}% | {curve} |")
    return "\n".join(lines) + "\n"


def plot_editability(summary: dict, path: Path) -> None:
    from deltaedit.eval.plots import new_figure, save_figure

    fig, (ax,) = new_figure(width=5)
    for arch, m in summary["models"].items():
        layers = sorted(int(k) for k in m["editability"])
        ax.plot(layers, [100 * m["editability"][str(l)] for l in layers], marker="o", label=arch)
    ax.axhline(90, color="grey", lw=0.8, ls="--")
    ax.set_xlabel("layer L (additive vector on block L's output at the subject's last token)")
    ax.set_ylabel("new target top-1 (%)")
    ax.set_title("Fact world: editability by layer")
    ax.set_ylim(0, 102)
    ax.legend()
    save_figure(fig, path)
