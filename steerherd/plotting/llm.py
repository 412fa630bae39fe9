"""LLM experiment plots, drawn once for ``steerherd llm report`` and the paper figures.

Inputs are the stored analysis (``steerherd.llm.analysis``: ``beliefs``, ``policy``,
``sequential``); nothing is computed here beyond counting what is drawn.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from steerherd.plotting.palette import GREY, OKABE_ITO

#: Reported-belief groups: (side, colour, marker, label).
BELIEF_GROUPS = (
    ("agree", OKABE_ITO["blue"], "o", "signal agrees with $b$"),
    ("contradict", OKABE_ITO["vermillion"], "^", "signal contradicts $b$"),
    (None, OKABE_ITO["black"], "s", "no lean ($b = 1/2$)"),
)
#: The paper's "close" deviation (10 %).
CLOSE_PERCENT = 10.0


def plot_reported_beliefs(ax: Any, rows: Sequence[Mapping[str, Any]]) -> Any:
    """LLM agents' reported beliefs against the Bayesian posterior (NB1–NB3)."""
    answered = [r for r in rows if r.get("reported") is not None]
    for side, colour, marker, label in BELIEF_GROUPS:
        sel = [r for r in answered
               if r.get("side") == side or (side is None and r.get("side") not in
                                            ("agree", "contradict"))]
        if sel:
            ax.scatter([r["bayes"] for r in sel], [r["reported"] for r in sel], s=12,
                       color=colour, marker=marker, alpha=0.75, label=label, linewidths=0)
    ax.plot([0, 1], [0, 1], color="0.4", lw=0.8, ls="--", label="Bayesian")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_aspect("equal")
    ax.set_xlabel("Bayesian posterior $P(G \\mid b, s)$")
    ax.set_ylabel("reported belief")
    ax.legend(fontsize=6, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.2),
              ncols=2)  # below the Axes: answers can lie anywhere in the square
    return ax


def plot_estimates(ax: Any, labels: Sequence[str], estimates: Sequence[Sequence[float]],
                   reference: Sequence[float], ylabel: str, z: float = 1.96,
                   min_n: int = 10) -> Any:
    """Point estimates (mean, se, n) with ±z·se from ``min_n`` answers up; a Bayesian mark."""
    x = np.arange(len(labels))
    for i, est in enumerate(estimates):
        m, se, n = (list(est) + [math.nan] * 3)[:3]
        if not math.isfinite(m):
            ax.text(i, 0.5, "no data", ha="center", va="center", fontsize=6, color="0.4",
                    transform=ax.get_xaxis_transform())
            continue
        err = z * se if (math.isfinite(se) and n >= min_n) else None
        ax.errorbar(i, m, yerr=err, fmt="o", color=OKABE_ITO["blue"], ms=4, capsize=2,
                    label="LLM agents" if i == 0 else None)
        ax.annotate(f"n={int(n)}" if math.isfinite(n) else "", (i, m), xytext=(13, 0),
                    textcoords="offset points", fontsize=5, color="0.3", va="center")
    ax.scatter(x, reference, marker="_", s=250, color="k", zorder=3, label="Bayesian")
    ax.set_xticks(x)
    ax.set_xticklabels(list(labels), fontsize=6)
    ax.set_xlim(-0.6, len(labels) - 0.4)
    ax.set_ylabel(ylabel)
    return ax


def plot_policy_vs_optimum(ax: Any, entry: Mapping[str, Any], title: str) -> Any:
    """An LLM planner's precisions (points) against the optimal q*(b) (line)."""
    ax.plot(entry["curve_b"], entry["curve_q"], color="k", lw=1.1, label="optimum $q^*$")
    rows = [r for r in entry["rows"] if r.get("q_llm") is not None]
    ax.scatter([r["b"] for r in rows], [r["q_llm"] for r in rows], s=14,
               color=OKABE_ITO["vermillion"], marker="^", zorder=3, label="LLM planner")
    ax.set_xlim(0, 1)
    ax.set_ylim(0.48, 1.04)
    ax.set_xlabel("public belief $b$")
    ax.set_ylabel("precision $q$")
    ax.set_title(title, fontsize=7)
    return ax


def plot_deviation_histogram(ax: Any, deviations: Sequence[float]) -> Any:
    """Histogram of the percentage policy deviation |q_LLM − q*| / 0.5 × 100."""
    ax.hist(np.asarray(deviations, dtype=float), bins=np.arange(0, 105, 5), color=GREY,
            edgecolor="0.3", lw=0.4)
    ax.axvline(CLOSE_PERCENT, color=OKABE_ITO["vermillion"], ls="--", lw=0.8, label="10 %")
    from matplotlib.ticker import MaxNLocator

    ax.set_xlabel("policy deviation (%)\n" + r"$|q_{\mathrm{LLM}} - q^*|/0.5$")
    ax.set_ylabel("belief states")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=6, frameon=False, loc="best")
    return ax


def llm_report_figures(res: Mapping[str, Any], width: float = 5.5) -> dict[str, Any]:
    """The report's figures (``policy``, ``beliefs``, ``welfare``) as matplotlib Figures."""
    from matplotlib.figure import Figure

    from steerherd.plotting.welfare import plot_welfare_bars

    out: dict[str, Any] = {}
    if "policy" in res and res["policy"]:
        keys = sorted(res["policy"])
        fig = Figure(figsize=(width, 2.3), layout="constrained")
        axes = fig.subplots(1, len(keys) + 1)
        devs: list[float] = []
        for ax, key in zip(axes, keys, strict=False):
            plot_policy_vs_optimum(ax, res["policy"][key], key.replace("|", ", "))
            devs += [r["deviation"] for r in res["policy"][key]["rows"]
                     if r.get("deviation") is not None]
        axes[0].legend(fontsize=5, frameon=False, loc="lower left")
        plot_deviation_histogram(axes[-1], devs)
        out["policy"] = fig
    if "beliefs" in res:
        fig = Figure(figsize=(width / 2, width / 2), layout="constrained")
        plot_reported_beliefs(fig.subplots(), res["beliefs"]["rows"])
        out["beliefs"] = fig
    if "sequential" in res and res["sequential"]["rows"]:
        rows = res["sequential"]["rows"]
        states = list(dict.fromkeys(r["state"] for r in rows))
        fig = Figure(figsize=(width, 2.4 * len(states)), layout="constrained")
        axes = np.atleast_1d(fig.subplots(len(states), 2, squeeze=False))
        for i, state in enumerate(states):
            for j, metric in enumerate(("welfare_pct", "expenditure_pct")):
                plot_welfare_bars(axes[i, j], rows, state, metric, legend=(i == 0 and j == 0))
                axes[i, j].set_title(f"$\\omega = {state}$", fontsize=7)
        out["welfare"] = fig
    return out

