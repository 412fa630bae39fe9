"""Figure 6: LLM agents' reported beliefs against the Bayesian posterior (NB1–NB3).

(a) each answer, split by whether the private signal agreed with the public belief's lean.
(b) the update ratio, the share of the Bayesian update the agent made (NB1: below 1 on
agreeing signals; NB2: above 1 on contradicting ones). (c) how often the agent follows a
signal that does not agree with the public belief, inside and outside the informative region
1 − q ≤ b ≤ q (NB3; a Bayesian agent scores 1 inside and 0 outside). Intervals (95 %) are
drawn only from ``min_answers`` answers up; each estimate carries its count n.

    python paper_figures/fig6_llm_beliefs.py [--data results/llm_figures.json] [--out figures]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from _common import COLUMN, figure, load, parse, save

from steerherd.plotting import plot_estimates, plot_reported_beliefs

NAN3 = [float("nan")] * 3


def draw(data: dict[str, Any]) -> Any:
    """The figure from a stored LLM analysis (no computation)."""
    res = data["analysis"]["beliefs"]
    min_n = int(data.get("min_answers", 10))
    fig = figure(COLUMN, 2.9)
    grid = fig.add_gridspec(2, 2, width_ratios=(1.15, 1.0))
    ax_l = fig.add_subplot(grid[:, 0])
    ax_r = fig.add_subplot(grid[0, 1])
    ax_f = fig.add_subplot(grid[1, 1])
    plot_reported_beliefs(ax_l, res["rows"])
    ax_l.set_title("(a) reported beliefs", loc="left", fontsize=7)
    ratio, follow = res["update_ratio"], res["follow_rate"]
    plot_estimates(ax_r, ["signal agrees", "signal contradicts"],
                   [ratio.get("agree", NAN3), ratio.get("contradict", NAN3)], [1.0, 1.0],
                   ylabel="update ratio", min_n=min_n)
    ax_r.set_title("(b) share of the Bayesian update", loc="left", fontsize=7)
    plot_estimates(ax_f, ["inside $[1-q, q]$", "outside"],
                   [follow.get("inside", NAN3), follow.get("outside", NAN3)], [1.0, 0.0],
                   ylabel="P(follows signal)", min_n=min_n)
    ax_f.set_ylim(-0.08, 1.08)
    ax_f.set_title("(c) follows a non-agreeing signal", loc="left", fontsize=7)
    ax_f.legend(fontsize=5.5, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.22),
                ncols=2)
    ident = data["identity"]
    fig.suptitle(f"LLM agents ({', '.join(Path(m).name for m in ident['model'])}, "
                 f"T = {ident['temperature']}, prompt {ident['prompt_version']})", fontsize=7)
    return fig


def main(argv: list[str] | None = None) -> list[Path]:
    args = parse(__doc__.splitlines()[0], "results/llm_figures.json", "fig6_llm_beliefs", argv)
    return save(draw, (load(args.data),), args.out, args.name)


if __name__ == "__main__":
    main()
