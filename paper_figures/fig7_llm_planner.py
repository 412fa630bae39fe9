"""Figure 7: the LLM planner's precision against the optimum, and the deviation histogram.

Deviation = |q_LLM − q*| / 0.5 × 100 per belief (our definition; the paper does not give one).

    python paper_figures/fig7_llm_planner.py [--data results/llm_figures.json] [--out figures]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from _common import FULL, load, parse, plt, save, style

from steerherd.plotting import plot_deviation_histogram, plot_policy_vs_optimum


def draw(data: dict[str, Any]) -> Any:
    """The figure from a stored LLM analysis (no computation)."""
    style()
    policy = data["analysis"]["policy"]
    keys = sorted(policy)
    fig, axes = plt.subplots(1, len(keys) + 1, figsize=(FULL, 2.6), layout="constrained")
    deviations: list[float] = []
    for ax, key in zip(axes, keys, strict=False):
        entry = policy[key]
        plot_policy_vs_optimum(ax, entry, key.replace("|", ", "))
        deviations += [r["deviation"] for r in entry["rows"] if r.get("deviation") is not None]
    plot_deviation_histogram(axes[-1], deviations)
    share = sum(d < 10 for d in deviations) / max(len(deviations), 1)
    axes[-1].set_title(f"{len(deviations)} beliefs, {100 * share:.0f}% under 10%", fontsize=8)
    ident = data["identity"]
    fig.suptitle(f"LLM planner ({', '.join(Path(m).name for m in ident['model'])}) "
                 "against the optimal policy")
    return fig


def main(argv: list[str] | None = None) -> list[Path]:
    args = parse(__doc__.splitlines()[0], "results/llm_figures.json", "fig7_llm_planner", argv)
    return save(draw(load(args.data)), args.out, args.name)


if __name__ == "__main__":
    main()
