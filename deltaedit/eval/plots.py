"""Figure helpers shared by every plot of the package: one colour per method, headless figures."""
from __future__ import annotations

from pathlib import Path

# One colour per method across every figure (Paul Tol's qualitative scheme); other names get a stable grey-blue.
METHOD_COLORS = {"ft": "#bbbbbb", "rome": "#ccbb44", "memit": "#ee6677", "prune": "#aa3377", "rect": "#66ccee",
                 "alphaedit": "#4477aa", "deltaedit": "#228833", "nas": "#ee7733", "encore": "#009988",
                 "noedit": "#000000"}


def method_color(method: str) -> str:
    """The method's colour; a variant "<method>-<name>" gets its base method's hue in a lighter or darker
    shade, so that variants stay recognisable next to their method."""
    if method in METHOD_COLORS:
        return METHOD_COLORS[method]
    import matplotlib.colors as mc

    base, _, variant = method.partition("-")
    rgb = mc.to_rgb(METHOD_COLORS.get(base, "#5577aa"))
    shade = 0.45 + 0.5 * ((sum(map(ord, variant or method)) % 7) / 6)       # deterministic in the name
    return mc.to_hex([min(1.0, c * shade + (1 - shade) * (0.15 if shade < 0.7 else 0.9)) for c in rgb])


def new_figure(n_panels: int = 1, width: float = 4.2, height: float = 3.2):
    """A headless matplotlib figure with `n_panels` side by side: (fig, axes[list])."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, max(1, n_panels), figsize=(width * max(1, n_panels), height), squeeze=False)
    return fig, list(axes[0])


def save_figure(fig, path: str | Path) -> None:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
