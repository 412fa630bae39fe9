"""Figure 3: the optimal biased policy with its regimes shaded and its thresholds named.

Left: myopic (δ = 0, Theorem 4); right: forward-looking (Theorem 5), at the [fig3]
parameters of the figure config. Regimes are coloured and hatched by mode (the names
``Solution.mode`` reports); the obfuscation interval (q ↑ b, a supremum no precision attains)
is hatched ///. The thresholds carry the names ``steerherd solve`` prints (t_1, t_2).

    python paper_figures/fig3_biased_policy.py [--data results/solutions.json] [--out figures]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from _common import COLUMN, figure, load, parse, save

from steerherd.plotting import plot_regimes_shaded
from steerherd.plotting.figures import describe_params
from steerherd.plotting.regimes import mode_handles


def draw(data: dict[str, Any]) -> Any:
    """The figure from stored solutions (no computation)."""
    rows = [(r["label"], r["solution"]) for r in data["solutions"]
            if r["figure"] == "biased_policy"]
    fig = figure(COLUMN, 2.7)
    axes = fig.subplots(1, len(rows), sharey=True)
    modes: list[str] = []
    for ax, (label, sol) in zip(axes, rows, strict=True):
        plot_regimes_shaded(ax, sol, title=label, legend=False)
        for reg in sol["regimes"]:
            if reg["mode"] not in modes:
                modes.append(reg["mode"])
    for ax in axes[1:]:
        ax.set_ylabel("")
    par = dict(rows[0][1]["params"])
    fig.legend(handles=mode_handles(modes), loc="outside lower center", ncols=min(len(modes), 4),
               fontsize=6, frameon=False,
               title=describe_params(par).replace(f", δ = {par['delta']:g}", ""),
               title_fontsize=6.5)
    return fig


def main(argv: list[str] | None = None) -> list[Path]:
    args = parse(__doc__.splitlines()[0], "results/solutions.json", "fig3_biased_policy", argv)
    return save(draw, (load(args.data),), args.out, args.name)


if __name__ == "__main__":
    main()
