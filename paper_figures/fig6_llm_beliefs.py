"""Figure 6: LLM agents' reported beliefs against the Bayesian posterior (NB1–NB3).

Left: each answer, split by whether the signal agreed with the public belief (NB1: updates
on agreeing signals are too small; NB2: on contradicting ones too large). Right: the share
of the Bayesian update made (NB1/NB2) and how often the agent follows its signal inside and
outside the informative region 1 − q ≤ b ≤ q (NB3; a Bayesian agent scores 1 and 0).

    python paper_figures/fig6_llm_beliefs.py [--data results/llm_figures.json] [--out figures]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from _common import FULL, load, parse, plt, save, style

from steerherd.plotting import plot_bars, plot_reported_beliefs


def draw(data: dict[str, Any]) -> Any:
    """The figure from a stored LLM analysis (no computation)."""
    style()
    res = data["analysis"]["beliefs"]
    fig, (ax_l, ax_r) = plt.subplots(1, 2, figsize=(FULL, 2.9), layout="constrained")
    plot_reported_beliefs(ax_l, res["rows"])
    ratio, follow = res["update_ratio"], res["follow_rate"]
    groups = ["update ratio\nagree", "update ratio\ncontradict", "follows signal\ninside",
              "follows signal\noutside"]
    keys = [("agree", ratio), ("contradict", ratio), ("inside", follow), ("outside", follow)]
    mean = [src.get(k, [float("nan")] * 3)[0] for k, src in keys]
    se = [src.get(k, [float("nan")] * 3)[1] for k, src in keys]
    plot_bars(ax_r, groups, {"LLM agents": (mean, se)}, ylabel="", reference=None)
    ax_r.scatter(range(4), [1.0, 1.0, 1.0, 0.0], marker="_", s=300, color="k", zorder=3,
                 label="Bayesian")
    ax_r.legend(fontsize=6, frameon=False)
    ident = data["identity"]
    fig.suptitle(f"LLM agents ({', '.join(Path(m).name for m in ident['model'])}, "
                 f"T = {ident['temperature']}, prompt {ident['prompt_version']})")
    return fig


def main(argv: list[str] | None = None) -> list[Path]:
    args = parse(__doc__.splitlines()[0], "results/llm_figures.json", "fig6_llm_beliefs", argv)
    return save(draw(load(args.data)), args.out, args.name)


if __name__ == "__main__":
    main()
