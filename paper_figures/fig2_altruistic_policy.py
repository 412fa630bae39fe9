"""Figure 2: the optimal altruistic policy, myopic against forward-looking (Theorems 1 and 3).

At the [fig2] parameters of the figure config (by default p = 0.8, power cost 1.6·x^0.5),
where the forward-looking policy has all three regimes: baseline (q = p), informative
(q = max(b, 1 − b)) and full (q = 1). d_A, t_A (read off each solution, the names
``steerherd solve`` prints) and the closed-form t_M are marked; equal thresholds share a label.

    python paper_figures/fig2_altruistic_policy.py [--data results/solutions.json] [--out figures]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from _common import COLUMN, figure, load, parse, save

from steerherd.plotting import plot_policy_curves
from steerherd.plotting.figures import describe_params


def draw(data: dict[str, Any]) -> Any:
    """The figure from stored solutions (no computation)."""
    fig = figure(COLUMN * 0.75, 2.9)
    ax = fig.subplots()
    rows = [(r["label"], r["solution"]) for r in data["solutions"]
            if r["figure"] == "altruistic_policy"]
    par = dict(rows[0][1]["params"])
    title = describe_params(par).split(", δ")[0] + "," + describe_params(par).split(",", 4)[-1]
    plot_policy_curves(ax, rows, thresholds=("d_A", "t_A", "t_M"), title=title)
    _, sol = rows[-1]  # name the forward-looking policy's regimes at their widest interval
    for mode, text, where in (("informative", "informative\n$q = \\max(b, 1-b)$", (0.1, -0.14)),
                              ("full", "full\n$q = 1$", (0.0, -0.12))):
        regs = [r for r in sol["regimes"] if r["mode"] == mode]
        if not regs:
            continue
        reg = max(regs, key=lambda r: r["hi"] - r["lo"])
        mid = 0.5 * (reg["lo"] + reg["hi"])
        ax.annotate(text, xy=(mid, reg["q_hi"]), xytext=(mid + where[0], reg["q_hi"] + where[1]),
                    ha="center", va="top", fontsize=6, color="0.25",
                    arrowprops={"arrowstyle": "-", "lw": 0.5, "color": "0.4"})
    return fig


def main(argv: list[str] | None = None) -> list[Path]:
    args = parse(__doc__.splitlines()[0], "results/solutions.json", "fig2_altruistic_policy", argv)
    return save(draw, (load(args.data),), args.out, args.name)


if __name__ == "__main__":
    main()
