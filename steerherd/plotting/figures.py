"""Whole figures as matplotlib ``Figure`` objects (no pyplot, no backend switch).

The command line, ``Solution.plot()`` and the paper scripts save what these return.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from importlib.resources import files
from typing import Any

from steerherd.plotting.solutions import plot_policy, plot_value
from steerherd.plotting.welfare import plot_welfare_bars, welfare_handles

#: Figure widths in inches: one text column of a paper (ICLR: 5.5 in) and a double width.
COLUMN = 5.5
FULL = 7.0


@contextmanager
def paper_style() -> Iterator[None]:
    """Apply the package's style sheet (sizes, Type 42 fonts) inside the block."""
    import matplotlib

    with matplotlib.rc_context(fname=str(files("steerherd") / "paper.mplstyle")):
        yield


def describe_params(par: Mapping[str, Any]) -> str:
    """'altruistic planner, p = 0.7, C = 1, δ = 0.9, linear cost k = 0.5' from a params dict."""
    cost = par["cost"]
    extra = "".join(f", {sym} = {cost[k]:g}" for k, sym in (("k", "k"), ("alpha", "α"))
                    if cost.get(k) is not None)
    horizon = f", N = {par['horizon']}" if par.get("horizon") else ""
    return (f"{par['planner']} planner, p = {par['p']:g}, C = {par['C']:g}, "
            f"δ = {par['delta']:g}{horizon}, {cost['family']} cost{extra}")


def solution_figure(data: Mapping[str, Any], width: float = COLUMN) -> Any:
    """V*(b) and q*(b) side by side from a solution dict (``Solution.to_dict()``)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, 3.0), layout="constrained")
    ax_v, ax_q = fig.subplots(1, 2)
    plot_value(ax_v, data)
    plot_policy(ax_q, data, legend=False)
    # Below both panels: the mode labels are long, and inside one panel they squeeze it.
    fig.legend(*ax_q.get_legend_handles_labels(), loc="outside lower center", ncols=3,
               fontsize=6, frameon=False, markerscale=2)
    fig.suptitle(describe_params(data["params"]), fontsize=8)
    return fig


def welfare_figure(table: Mapping[str, Any], width: float = COLUMN) -> Any:
    """Welfare and expenditure (% of baseline welfare) per state of a welfare table."""
    from matplotlib.figure import Figure

    rows = [r for r in table["rows"] if r.get("horizon", "-") != "-"]
    states = list(dict.fromkeys(r["state"] for r in rows))
    settings = list(dict.fromkeys(r["setting"] for r in rows))
    fig = Figure(figsize=(width, 1.9 * len(states) + 0.5), layout="constrained")
    axes = fig.subplots(len(states), 2, squeeze=False)
    for i, state in enumerate(states):
        for j, metric in enumerate(("welfare_pct", "expenditure_pct")):
            plot_welfare_bars(axes[i, j], rows, state, metric, settings=settings, legend=False)
            axes[i, j].set_title(f"$\\omega = {state}$", fontsize=7)
    fig.legend(handles=welfare_handles(settings), loc="outside lower center",
               ncols=len(settings), fontsize=6, frameon=False)
    return fig
