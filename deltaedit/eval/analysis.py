"""What editing does to the model beyond the scores: hidden-representation drift (the paper's Figures 4b and 8,
a t-SNE of factual prompts before and after editing) and case-study generations (Tables 4–5)."""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch

log = logging.getLogger(__name__)


@torch.no_grad()
def last_hidden(model, tok, prompts: list[str], batch_size: int = 64) -> torch.Tensor:
    """Final-layer hidden state at each prompt's last token, [n, d] (right padding, so index by length)."""
    out = []
    dev = next(model.parameters()).device
    for i in range(0, len(prompts), batch_size):
        enc = tok(prompts[i:i + batch_size], return_tensors="pt", padding=True).to(dev)
        h = model(**enc, output_hidden_states=True).hidden_states[-1]
        last = enc["attention_mask"].sum(1) - 1
        out.append(h[torch.arange(len(last), device=dev), last].float().cpu())
    return torch.cat(out)


def drift(base: torch.Tensor, edited: torch.Tensor) -> float:
    """Median relative displacement ‖h_edited − h_base‖ / ‖h_base‖ over prompts."""
    return float(((edited - base).norm(dim=1) / base.norm(dim=1).clamp_min(1e-12)).median())


def tsne_pairs(base: torch.Tensor, edited: dict[str, torch.Tensor], seed: int = 0) -> dict[str, np.ndarray]:
    """For each method, a 2-D t-SNE of the base and edited representations fitted together ([2n, 2])."""
    from sklearn.manifold import TSNE

    out = {}
    for name, h in edited.items():
        x = torch.cat([base, h]).numpy()
        perplexity = min(30.0, (len(x) - 1) / 3)
        out[name] = TSNE(2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(x)
    return out


def plot_tsne(points: dict[str, np.ndarray], n: int, title: str, path: str | Path) -> None:
    from deltaedit.eval.plots import new_figure, save_figure

    names = list(points)
    fig, axes = new_figure(len(names), width=3.2)
    for ax, name in zip(axes, names):
        p = points[name]
        ax.scatter(p[:n, 0], p[:n, 1], s=3, alpha=0.6, label="before")
        ax.scatter(p[n:, 0], p[n:, 1], s=3, alpha=0.6, label="after")
        ax.set_title(name, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0].legend(fontsize=7, markerscale=3)
    fig.suptitle(title, fontsize=9)
    save_figure(fig, path)


def greedy(model, tok, prompt: str, max_new_tokens: int = 20) -> str:
    """The greedy continuation of one prompt (the case studies, Tables 4-5)."""
    from deltaedit.eval.generation import continuations

    return continuations(model, tok, [prompt], max_new_tokens)[0]
