"""Figure 1: V_A* and V_B* for several (k, δ), and the Theorem 2 counterexample.

(a) the altruistic and (b) the biased planner's value function for the [fig1] curves of the
figure config (linear costs with k below and above C, and a power cost); (c) the Theorem 2
counterexample, V_A* with a concave kink at b = 1 − p (investing dearer than the loss, k > C,
δ > 0), and (d) a zoom on the kink with the chord that a convex V_A* would lie below and,
where the solver provides them, the certified bounds on V* as a band.

    python paper_figures/fig1_value.py [--data results/solutions.json] [--out figures]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from _common import COLUMN, figure, load, parse, save

from steerherd.plotting import plot_value_functions
from steerherd.plotting.palette import OKABE_ITO, series


def draw(data: dict[str, Any]) -> Any:
    """The figure from stored solutions (no computation)."""
    fig = figure(COLUMN, 4.6)
    (ax_a, ax_b), (ax_c, ax_d) = fig.subplots(2, 2)
    for ax, key, name in ((ax_a, "value_altruistic", "(a) altruistic $V_A^*$"),
                          (ax_b, "value_biased", "(b) biased $V_B^*$")):
        rows = [(r["label"], r["solution"]) for r in data["solutions"] if r["figure"] == key]
        plot_value_functions(ax, rows, legend=False)
        ax.set_ylabel({"value_altruistic": "$V_A^*(b)$"}.get(key, "$V_B^*(b)$"))
        ax.set_title(name, loc="left")
    handles, labels = ax_a.get_legend_handles_labels()
    par = next(r["solution"]["params"] for r in data["solutions"]
               if r["figure"] == "value_altruistic")
    fig.legend(handles, labels, loc="outside upper center", ncols=2, fontsize=6.5,
               frameon=False, title=f"p = {par['p']:g}, C = {par['C']:g}, linear cost "
                                    "unless marked", title_fontsize=6.5)
    counter = [r for r in data["solutions"] if r["figure"] == "counterexample"]
    if counter:
        _counterexample(ax_c, ax_d, counter[0])
    return fig


def _counterexample(ax_c: Any, ax_d: Any, row: dict[str, Any]) -> None:
    sol, kink = row["solution"], row["kink"]
    colour, _, _ = series(0)
    plot_value_functions(ax_c, [(row["label"], sol)], legend=False)
    ax_c.set_ylabel("$V_A^*(b)$")
    ax_c.axvline(kink, color="0.5", ls=":", lw=0.8)
    ax_c.set_title("(c) Theorem 2 counterexample", loc="left")
    ax_c.annotate(row["label"].replace(", δ", ",\nδ") + ", linear cost", xy=(0.56, 0.5),
                  xycoords="axes fraction", ha="center", va="center", fontsize=6, color="0.25")
    ax_c.annotate("$b = 1 - p$", xy=(kink, 0.8), xycoords=("data", "axes fraction"),
                  xytext=(4, 0), textcoords="offset points", fontsize=6, color="0.3")
    b, v = np.asarray(sol["belief"]), np.asarray(sol["value"])
    lo, hi = kink - 0.015, kink + 0.025
    sel = (b >= lo) & (b <= hi)
    plot_value_functions(ax_d, [("$V_A^*$", {**sol, "belief": b[sel], "value": v[sel],
                                            "side": np.asarray(sol["side"])[sel]})],
                         legend=False)
    ends = (b[sel][0], b[sel][-1])
    ax_d.plot(ends, np.interp(ends, b, v), color=OKABE_ITO["vermillion"], ls="--", lw=0.9,
              label="chord (convex $V$ lies below)")
    bounds = row.get("bounds")
    if bounds:
        ax_d.fill_between(bounds["belief"], bounds["lower"], bounds["upper"], color=colour,
                          alpha=0.25, lw=0, label="certified bounds on $V^*$")
    ax_d.axvline(kink, color="0.5", ls=":", lw=0.8)
    ax_d.set_xlim(lo, hi)
    y0, y1 = float(v[sel].min()), float(v[sel].max())
    ax_d.set_ylim(y0 - 0.7 * (y1 - y0), y1 + 0.6 * (y1 - y0))  # room for the notes
    ax_d.set_ylabel("$V_A^*(b)$")
    ax_d.set_title("(d) zoom: concave kink at $1 - p$", loc="left")
    conv = row["convexity"]
    ax_d.legend(fontsize=5.5, frameon=False, loc="lower center")
    jump = f"{conv['margin']:.2f}".replace("-", "\u2212")
    ax_d.annotate(f"slope jump {jump} at b = {conv['worst_at_belief']:.4f}\n"
                  f"(1 − p = {kink:.4f} and p: symmetric)",
                  xy=(0.03, 0.97), xycoords="axes fraction", va="top", fontsize=6,
                  color="0.2")


def main(argv: list[str] | None = None) -> list[Path]:
    args = parse(__doc__.splitlines()[0], "results/solutions.json", "fig1_value", argv)
    return save(draw, (load(args.data),), args.out, args.name)


if __name__ == "__main__":
    main()
