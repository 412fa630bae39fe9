"""Figure 4: regime maps, the mode at each (belief, k) and (belief, δ), for both planners.

    python paper_figures/fig4_regime_map.py [--data results/regime_map.json] [--out figures]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from _common import FULL, load, parse, plt, save, style

from steerherd.plotting import plot_regime_map


def draw(data: dict[str, Any]) -> Any:
    """The figure from stored maps (no computation)."""
    style()
    fig, axes = plt.subplots(2, 2, figsize=(FULL, 5.0), layout="constrained")
    for ax, m in zip(axes.ravel(), data["maps"], strict=True):
        plot_regime_map(ax, m)
        fixed = r"$\delta = 0.9$" if m["parameter"] == "k" else r"$k = 0.5$"
        ax.set_title(f"{m['planner']} planner, p = {data['p']}, {fixed}")
    return fig


def main(argv: list[str] | None = None) -> list[Path]:
    args = parse(__doc__.splitlines()[0], "results/regime_map.json", "fig4_regime_map", argv)
    return save(draw(load(args.data)), args.out, args.name)


if __name__ == "__main__":
    main()
