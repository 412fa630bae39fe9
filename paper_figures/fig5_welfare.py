"""Figure 5: welfare and expenditure as % of the no-control baseline's welfare.

One definition throughout (``steerherd.sim.summaries``): welfare = C × correct actions,
expenditure = the planner's undiscounted spend, both as % of the baseline's mean welfare.
Top: the LLM experiment's settings from a stored run. Bottom: Behavioral agents as the
non-Bayesian population (``steerherd simulate``): analytical, hybrid (the Bayesian-optimal
policy applied to Behavioral agents) and the policy solved for the Behavioral agents. A
missing cell is a labelled gap with its reason; 95 % intervals are drawn only from
``min_runs`` runs up (fewer runs show their count). The true state is ω = B by default.

    python paper_figures/fig5_welfare.py [--data results/llm_figures.json]
        [--welfare results/welfare.json] [--out figures]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from _common import COLUMN, figure, load, save

from steerherd.plotting import MIN_RUNS, plot_welfare_bars
from steerherd.plotting.welfare import welfare_handles


def draw(llm: dict[str, Any], welfare: dict[str, Any]) -> Any:
    """The figure from stored results (no computation)."""
    state = welfare.get("state", "B")
    fig = figure(COLUMN, 5.0)
    top, bottom = fig.subfigures(2, 1)
    llm_rows = llm["analysis"].get("sequential", {}).get("rows", [])
    ident = llm["identity"]
    model = ", ".join(Path(m).name for m in ident["model"])
    cfg = welfare["config"]
    beh = cfg["behavioral"]
    parts = (
        (top, llm_rows, llm.get("min_runs", MIN_RUNS),
         f"(a) LLM run {ident['name']} ({model}), $\\omega = {state}$"),
        (bottom, welfare["rows"], welfare.get("min_runs", MIN_RUNS),
         f"(b) Behavioral agents (w = {beh['w_prior']:g}, {beh['w_agree']:g}, "
         f"{beh['w_disagree']:g}), N = {cfg['agents']}, R = {cfg['runs']}, "
         f"$\\omega = {state}$"),
    )
    for sub, rows, min_runs, title in parts:
        axes = sub.subplots(1, 2)
        sub.suptitle(title, fontsize=7, x=0.02, ha="left")
        settings = list(dict.fromkeys(r["setting"] for r in rows
                                      if r.get("horizon", "-") != "-"))
        if not settings:
            for ax in axes:
                ax.set_axis_off()
            axes[0].text(0.5, 0.5, "no sequential runs stored", ha="center",
                         transform=axes[0].transAxes, fontsize=7)
            continue
        for ax, metric in zip(axes, ("welfare_pct", "expenditure_pct"), strict=True):
            plot_welfare_bars(ax, rows, state, metric, min_runs=min_runs, settings=settings,
                              legend=False)
        sub.legend(handles=welfare_handles(settings), loc="outside lower center",
                   ncols=min(len(settings), 3), fontsize=5.5, frameon=False)
    return fig


def main(argv: list[str] | None = None) -> list[Path]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("results/llm_figures.json"))
    ap.add_argument("--welfare", type=Path, default=Path("results/welfare.json"))
    ap.add_argument("--out", type=Path, default=Path("figures"))
    ap.add_argument("--name", default="fig5_welfare")
    args = ap.parse_args(argv)
    return save(draw, (load(args.data), load(args.welfare)), args.out, args.name)


if __name__ == "__main__":
    main()
