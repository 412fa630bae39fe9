"""Figure 5: welfare and expenditure as % of the no-control baseline, with 95% error bars.

Top: the LLM experiment's settings (analytical, LLM, hybrid, ...) from a stored run.
Bottom: Behavioral agents as the non-Bayesian population (``steerherd simulate``): analytical,
hybrid (the Bayesian-optimal policy applied to Behavioral agents) and the policy solved for
the Behavioral agents. Welfare counts C per correct action; the true state is ω = B.

    python paper_figures/fig5_welfare.py [--data results/llm_figures.json]
        [--welfare results/welfare.json] [--out figures]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from _common import FULL, load, plt, save, style

from steerherd.plotting import plot_bars

STATE = "B"


def _llm_series(rows: list[dict[str, Any]], key: str) -> tuple[list[str], dict[str, Any]]:
    rows = [r for r in rows if r["state"] == STATE]
    groups = list(dict.fromkeys(f"{r['planner']}\n{r['horizon']}" for r in rows))
    series: dict[str, Any] = {}
    for setting in dict.fromkeys(r["setting"] for r in rows):
        by = {f"{r['planner']}\n{r['horizon']}": r[key] for r in rows if r["setting"] == setting}
        series[setting] = ([by.get(g, [float("nan")] * 2)[0] for g in groups],
                           [by.get(g, [float("nan")] * 2)[1] for g in groups])
    return groups, series


def _sim_series(rows: list[dict[str, Any]], key: str) -> tuple[list[str], dict[str, Any]]:
    rows = [r for r in rows if r["state"] == STATE and r["horizon"] != "-"]
    groups = list(dict.fromkeys(f"{r['planner']}\n{r['horizon']}" for r in rows))
    series: dict[str, Any] = {}
    for setting in dict.fromkeys(r["setting"] for r in rows):
        by = {f"{r['planner']}\n{r['horizon']}": r for r in rows if r["setting"] == setting}
        series[setting] = ([by[g][key] if g in by else float("nan") for g in groups],
                           [by[g][f"{key}_se"] if g in by else float("nan") for g in groups])
    return groups, series


def draw(llm: dict[str, Any], welfare: dict[str, Any]) -> Any:
    """The figure from stored results (no computation)."""
    style()
    fig, axes = plt.subplots(2, 2, figsize=(FULL, 5.2), layout="constrained")
    rows = llm["analysis"].get("sequential", {}).get("rows", [])
    for ax, key, label in ((axes[0, 0], "welfare_pct", "welfare, % of baseline"),
                           (axes[0, 1], "expenditure_pct", "expenditure, % of baseline welfare")):
        plot_bars(ax, *_llm_series(rows, key), ylabel=label,
                  reference=100.0 if key == "welfare_pct" else None)
    model = ", ".join(Path(m).name for m in llm["identity"]["model"])
    axes[0, 0].set_title(f"LLM run {llm['identity']['name']} ({model})", fontsize=8)
    for ax, key, label in ((axes[1, 0], "welfare_pct", "welfare, % of baseline"),
                           (axes[1, 1], "spend_pct", "expenditure, % of baseline loss")):
        plot_bars(ax, *_sim_series(welfare["rows"], key), ylabel=label,
                  reference=100.0 if key == "welfare_pct" else None)
    cfg = welfare["config"]
    axes[1, 0].set_title(f"Behavioral agents {cfg['behavioral']['w_agree']}/"
                         f"{cfg['behavioral']['w_disagree']} (agree/contradict), "
                         f"N = {cfg['agents']}, R = {cfg['runs']}", fontsize=8)
    fig.suptitle(rf"welfare and expenditure, $\omega = {STATE}$ (error bars: 95% CI)")
    return fig


def main(argv: list[str] | None = None) -> list[Path]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("results/llm_figures.json"))
    ap.add_argument("--welfare", type=Path, default=Path("results/welfare.json"))
    ap.add_argument("--out", type=Path, default=Path("figures"))
    ap.add_argument("--name", default="fig5_welfare")
    args = ap.parse_args(argv)
    return save(draw(load(args.data), load(args.welfare)), args.out, args.name)


if __name__ == "__main__":
    main()
