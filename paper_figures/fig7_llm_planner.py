"""Figure 7: the LLM planner's precision against the optimum, and the deviation histogram.

One panel per (planner, horizon) of the stored run, then the histogram of the percentage
policy deviation |q_LLM − q*| / 0.5 × 100 over all belief states (our definition; the paper
does not give one) with the paper's 10 % mark.

    python paper_figures/fig7_llm_planner.py [--data results/llm_figures.json] [--out figures]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from _common import COLUMN, figure, load, parse, save

from steerherd.plotting import plot_deviation_histogram, plot_policy_vs_optimum


def draw(data: dict[str, Any]) -> Any:
    """The figure from a stored LLM analysis (no computation)."""
    policy = data["analysis"]["policy"]
    keys = sorted(policy)
    ncols = min(len(keys) + 1, 3)
    nrows = -(-(len(keys) + 1) // ncols)
    fig = figure(COLUMN, 2.1 * nrows + 0.4)
    axes = list(fig.subplots(nrows, ncols, squeeze=False).ravel())
    deviations: list[float] = []
    for ax, key in zip(axes, keys, strict=False):
        plot_policy_vs_optimum(ax, policy[key], key.replace("|", ", "))
        deviations += [r["deviation"] for r in policy[key]["rows"]
                       if r.get("deviation") is not None]
    for i, ax in enumerate(axes[:len(keys)]):
        if i % ncols:
            ax.set_ylabel("")
    hist = axes[len(keys)]
    for ax in axes[len(keys) + 1:]:
        ax.remove()  # the histogram stays the last Axes
    plot_deviation_histogram(hist, deviations)
    share = sum(d < 10 for d in deviations) / max(len(deviations), 1)
    hist.set_title(f"{len(deviations)} states, {100 * share:.0f} % under 10 %", fontsize=7)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=2, fontsize=6, frameon=False)
    ident = data["identity"]
    fig.suptitle(f"LLM planner ({', '.join(Path(m).name for m in ident['model'])}) "
                 "against the optimal policy", fontsize=7)
    return fig


def main(argv: list[str] | None = None) -> list[Path]:
    args = parse(__doc__.splitlines()[0], "results/llm_figures.json", "fig7_llm_planner", argv)
    return save(draw, (load(args.data),), args.out, args.name)


if __name__ == "__main__":
    main()
