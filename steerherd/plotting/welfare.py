"""Welfare bars in the one row shape (:class:`steerherd.sim.summaries.WelfareRow`).

Groups are (planner, horizon); one bar per setting, coloured *and* hatched by setting. A cell
that is absent or undefined is a labelled gap (never a silently missing bar); an interval is
drawn only from :data:`MIN_RUNS` runs up (fewer runs show their count instead).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from steerherd.plotting.palette import GREY, series, setting_style

#: Fewer runs than this: the bar is drawn without an interval and labelled with its count.
MIN_RUNS = 10

#: Axis labels of the row shape's percentages (the one definition, with its denominator).
METRIC_LABELS = {
    "welfare_pct": "welfare\n(% of baseline welfare)",
    "expenditure_pct": "expenditure\n(% of baseline welfare)",
    "loss_pct": "utility loss\n(% of baseline loss)",
    "spend_pct": "expenditure\n(% of baseline loss)",
}

_SHORT_REASON = {"baseline welfare is 0": "baseline\nwelfare 0"}


def _reason(row: Mapping[str, Any] | None) -> str:
    if row is None:
        return "no complete\nrun"
    note = str(row.get("note", ""))
    for head, short in _SHORT_REASON.items():
        if note.startswith(head):
            return short
    return "undefined"


def plot_welfare_bars(ax: Any, rows: Sequence[Mapping[str, Any]], state: str,
                      metric: str = "welfare_pct", z: float = 1.96, min_runs: int = MIN_RUNS,
                      settings: Sequence[str] | None = None, legend: bool = True) -> Any:
    """Grouped bars of one percentage for one true state, gaps labelled with their reason.

    Args:
        ax: the Axes.
        rows: welfare rows (planner, horizon, state, setting, runs, metric, metric_se).
        state: the true state ω of the rows to draw.
        metric: ``welfare_pct``, ``expenditure_pct`` (or the loss columns of a simulation).
        z: half-width of the interval in standard errors (1.96: 95 %).
        min_runs: fewest runs for which an interval is drawn.
        settings: the settings to draw, in order (default: those in the rows).
        legend: draw the settings' legend below the Axes.
    """
    cells = [r for r in rows if r["state"] == state and r.get("horizon", "-") != "-"]
    settings = list(settings or dict.fromkeys(r["setting"] for r in cells))
    groups = list(dict.fromkeys((r["planner"], r["horizon"]) for r in cells))
    width = 0.8 / max(len(settings), 1)
    finite = [float(r[metric]) for r in cells if math.isfinite(float(r[metric]))]
    top = max(finite + [100.0 if metric != "expenditure_pct" else 1.0])
    from matplotlib.patches import Patch

    handles: list[Any] = []
    few: set[int] = set()  # run counts of cells drawn without an interval
    for j, setting in enumerate(settings):
        st = setting_style(setting)
        sel = {(r["planner"], r["horizon"]): r for r in cells if r["setting"] == setting}
        x = np.arange(len(groups)) + (j - (len(settings) - 1) / 2) * width
        for xi, g in zip(x, groups, strict=True):
            row = sel.get(g)
            y = float(row[metric]) if row is not None else math.nan
            if not math.isfinite(y):
                ax.bar(xi, top * 0.98, width, facecolor="none", edgecolor=GREY, lw=0.5,
                       ls=(0, (2, 2)))
                ax.text(xi, top * 0.03, _reason(row), rotation=90, ha="center", va="bottom",
                        fontsize=5, color="0.35")
                continue
            runs = int(row.get("runs", 0)) if row is not None else 0
            se = float(row.get(f"{metric}_se", math.nan)) if row is not None else math.nan
            err = z * se if runs >= min_runs and math.isfinite(se) else None
            ax.bar(xi, y, width, yerr=err, facecolor=st.colour, hatch=st.hatch,
                   edgecolor="0.2", lw=0.4, capsize=1.5, error_kw={"lw": 0.7})
            if err is None:
                few.add(runs)
        handles.append(Patch(facecolor=st.colour, hatch=st.hatch, edgecolor="0.2", lw=0.4,
                             label=st.label))
    if metric in ("welfare_pct", "loss_pct"):
        ax.axhline(100.0, color="0.3", ls="--", lw=0.8)
    ax.set_xticks(np.arange(len(groups)))
    ax.set_xticklabels([f"{p}\n{h}" for p, h in groups], fontsize=6)
    ax.set_xlabel("planner, horizon")
    ax.set_ylabel(METRIC_LABELS.get(metric, metric))
    ax.set_ylim(0, top * 1.2)
    if few:
        counts = ", ".join(str(n) for n in sorted(few))
        ax.text(0.99, 0.99, f"no interval: runs = {counts} < {min_runs}", ha="right",
                va="top", transform=ax.transAxes, fontsize=5, color="0.3")
    if legend:
        ax.legend(handles=handles, fontsize=6, frameon=False, ncols=len(handles),
                  loc="upper center", bbox_to_anchor=(0.5, -0.3))
    return ax


def welfare_handles(settings: Sequence[str]) -> list[Any]:
    """Legend swatches of welfare settings (colour and hatch)."""
    from matplotlib.patches import Patch

    return [Patch(facecolor=setting_style(s).colour, hatch=setting_style(s).hatch,
                  edgecolor="0.2", lw=0.4, label=setting_style(s).label) for s in settings]


def plot_bars(ax: Any, groups: Sequence[str],
              series_: Mapping[str, tuple[Sequence[float], Sequence[float]]], ylabel: str,
              reference: float | None = 100.0, z: float = 1.96) -> Any:
    """Grouped bars: one group per label, one bar per series, ±z·se where the se is finite.

    ``series_`` maps a name to (means, standard errors) aligned with ``groups``; a NaN mean
    draws no bar.
    """
    width = 0.8 / max(len(series_), 1)
    for j, (name, (mean, se)) in enumerate(series_.items()):
        colour, _, _ = series(j)
        x = np.arange(len(groups)) + (j - (len(series_) - 1) / 2) * width
        s = np.asarray(se, dtype=float)
        err = np.where(np.isfinite(s), z * s, 0.0)
        ax.bar(x, np.asarray(mean, dtype=float), width, yerr=err, facecolor=colour,
               edgecolor="0.2", lw=0.4, label=name, capsize=2)
    if reference is not None:
        ax.axhline(reference, color="0.3", ls="--", lw=0.8)
    ax.set_xticks(np.arange(len(groups)))
    ax.set_xticklabels(list(groups), fontsize=6)
    ax.set_ylabel(ylabel)
    return ax
