"""Figure 2: the optimal altruistic policy, myopic against forward-looking (Theorems 1 and 3).

d_A, t_A (read off each solution) and the closed-form t_M are marked.

    python paper_figures/fig2_altruistic_policy.py [--data results/solutions.json] [--out figures]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from _common import COLUMN, load, parse, plt, save, style

from steerherd.plotting import plot_policy_curves


def draw(data: dict[str, Any]) -> Any:
    """The figure from stored solutions (no computation)."""
    style()
    fig, ax = plt.subplots(figsize=(COLUMN * 1.4, 2.8), layout="constrained")
    rows = [(r["label"], r["solution"]) for r in data["solutions"]
            if r["figure"] == "altruistic_policy"]
    plot_policy_curves(ax, rows, thresholds=("d_A", "t_A", "t_M"))
    par = rows[0][1]["params"]
    ax.set_title(f"altruistic planner: p = {par['p']}, k = {par['cost']['k']}")
    return fig


def main(argv: list[str] | None = None) -> list[Path]:
    args = parse(__doc__.splitlines()[0], "results/solutions.json", "fig2_altruistic_policy", argv)
    return save(draw(load(args.data)), args.out, args.name)


if __name__ == "__main__":
    main()
