"""Figure 1: the altruistic value function V_A* for several δ and k; its convexity (Theorem 2).

    python paper_figures/fig1_value.py [--data results/solutions.json] [--out figures]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from _common import FULL, load, parse, plt, save, style

from steerherd.plotting import plot_value_functions


def draw(data: dict[str, Any]) -> Any:
    """The figure from stored solutions (no computation)."""
    style()
    fig, axes = plt.subplots(1, 2, figsize=(FULL, 2.8), layout="constrained")
    for ax, key, title in zip(axes, ("value_delta", "value_k"),
                              (r"$k = 0.5$, varying $\delta$", r"$\delta = 0.9$, varying $k$"),
                              strict=True):
        rows = [(r["label"], r["solution"]) for r in data["solutions"] if r["figure"] == key]
        plot_value_functions(ax, rows)
        ax.set_title(title)
    fig.suptitle(f"altruistic planner, p = {data['p']}, linear cost")
    return fig


def main(argv: list[str] | None = None) -> list[Path]:
    args = parse(__doc__.splitlines()[0], "results/solutions.json", "fig1_value", argv)
    return save(draw(load(args.data)), args.out, args.name)


if __name__ == "__main__":
    main()
