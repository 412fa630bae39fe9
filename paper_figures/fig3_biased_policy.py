"""Figure 3: the optimal biased policy with its regimes shaded and obfuscation marked.

Left: myopic (δ = 0, Theorem 4); right: forward-looking (Theorem 5). The obfuscation interval
(q ↑ b, a supremum that no precision attains) is hatched.

    python paper_figures/fig3_biased_policy.py [--data results/solutions.json] [--out figures]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from _common import FULL, load, parse, plt, save, style

from steerherd.plotting import plot_regimes_shaded


def draw(data: dict[str, Any]) -> Any:
    """The figure from stored solutions (no computation)."""
    style()
    rows = [(r["label"], r["solution"]) for r in data["solutions"]
            if r["figure"] == "biased_policy"]
    fig, axes = plt.subplots(1, len(rows), figsize=(FULL, 2.8), layout="constrained",
                             sharey=True)
    for ax, (label, sol) in zip(axes, rows, strict=True):
        plot_regimes_shaded(ax, sol)
        ax.set_title(label)
    par = rows[0][1]["params"]
    fig.suptitle(f"biased planner: p = {par['p']}, linear cost k = {par['cost']['k']}")
    return fig


def main(argv: list[str] | None = None) -> list[Path]:
    args = parse(__doc__.splitlines()[0], "results/solutions.json", "fig3_biased_policy", argv)
    return save(draw(load(args.data)), args.out, args.name)


if __name__ == "__main__":
    main()
