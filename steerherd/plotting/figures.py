"""Plots. Each function takes data and Axes and returns the Axes; nothing is computed here.

matplotlib is imported by the caller (CLI, figure scripts); this module only needs the Axes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

MODE_COLOURS = {
    "baseline": "#8c8c8c",
    "full": "#1f77b4",
    "informative": "#2ca02c",
    "obfuscate": "#d62728",
    "other": "#ff7f0e",
    "escape": "#9467bd",
    "tip": "#e377c2",
}
#: Modes whose precision is a supremum, not attained (drawn hatched).
LIMIT_MODES = ("obfuscate", "escape", "tip")


def plot_value(ax: Any, data: Mapping[str, Any], label: str | None = None) -> Any:
    """V* against b from a solution dict (``Solution.to_dict()`` or its JSON)."""
    b, v, side = (np.asarray(data[k]) for k in ("belief", "value", "side"))
    # Draw each segment between breakpoints separately so that a jump shows as a jump.
    for seg in _segments(b, side):
        ax.plot(b[seg], v[seg], color="k", lw=1.2, label=label)
        label = None
    points = side == 0
    on_break = np.isin(b, data["grid"]["breakpoints"]) & points
    ax.plot(b[on_break], v[on_break], "o", ms=3.5, mfc="white", mec="k", zorder=3)
    ax.set_xlabel("public belief $b$")
    ax.set_ylabel("$V^*(b)$")
    return ax


def plot_policy(ax: Any, data: Mapping[str, Any]) -> Any:
    """q*(b) coloured by mode, with the thresholds marked."""
    b, q, side = (np.asarray(data[k]) for k in ("belief", "precision", "side"))
    mode = np.asarray(data["mode"])
    for name, colour in MODE_COLOURS.items():
        sel = mode == name
        if sel.any():
            ax.scatter(b[sel], q[sel], s=4, color=colour, label=name, zorder=2)
    for name, thr in _thresholds(data["thresholds"]):
        ax.axvline(thr, color="0.4", ls=":", lw=0.9)
        ax.annotate(_label(name), (thr, 1.0), xytext=(2, 2), textcoords="offset points",
                    fontsize=8, color="0.3")
    ax.axhline(data["params"]["p"], color="0.7", lw=0.8, ls="--")
    ax.set_xlabel("public belief $b$")
    ax.set_ylabel("precision $q^*(b)$")
    ax.set_ylim(0.48, 1.04)
    ax.legend(loc="lower center", fontsize=7, ncols=3, frameon=False)
    return ax


def _segments(b: np.ndarray, side: np.ndarray) -> list[slice]:
    """Index ranges between breakpoint triplets: a left limit ends one, a right limit starts one."""
    cuts = [0]
    for i, s in enumerate(side):
        if s == -1:
            cuts.append(i + 1)
        elif s == 1:
            cuts.append(i)
    cuts.append(b.size)
    return [slice(a, c) for a, c in zip(cuts[::2], cuts[1::2], strict=True) if c > a]


def _thresholds(thresholds: Mapping[str, Any]) -> Sequence[tuple[str, float]]:
    out = []
    for name, thr in thresholds.items():
        if thr is not None and 0.0 < thr["value"] < 1.0:
            out.append((name, float(thr["value"])))
    return out


def _label(name: str) -> str:
    head, _, sub = name.partition("_")
    return f"${head}_{{{sub}}}$" if sub else name


def plot_value_functions(ax: Any, labelled: Sequence[tuple[str, Mapping[str, Any]]]) -> Any:
    """Several V* curves (one per solution dict), each drawn segment by segment."""
    colours = _cycle(len(labelled))
    for (label, data), colour in zip(labelled, colours, strict=True):
        b, v, side = (np.asarray(data[k]) for k in ("belief", "value", "side"))
        for i, seg in enumerate(_segments(b, side)):
            ax.plot(b[seg], v[seg], color=colour, lw=1.3, label=label if i == 0 else None)
    ax.set_xlabel("public belief $b$")
    ax.set_ylabel("$V^*(b)$")
    ax.legend(fontsize=7, frameon=False)
    return ax


def plot_policy_curves(
    ax: Any, labelled: Sequence[tuple[str, Mapping[str, Any]]], thresholds: Sequence[str] = ()
) -> Any:
    """q*(b) for several solutions as step-like lines, with named thresholds marked."""
    colours = _cycle(len(labelled))
    styles = ("-", "--", ":", "-.")
    for j, ((label, data), colour) in enumerate(zip(labelled, colours, strict=True)):
        b, q, side = (np.asarray(data[k]) for k in ("belief", "precision", "side"))
        for i, seg in enumerate(_segments(b, side)):
            ax.plot(b[seg], q[seg], color=colour, ls=styles[j % 4], lw=1.4,
                    label=label if i == 0 else None)
        for name in thresholds:
            thr = data["thresholds"].get(name)
            if thr is not None and 0.0 < thr["value"] < 1.0:
                ax.axvline(thr["value"], color=colour, ls=":", lw=0.8)
                ax.annotate(_label(name), (thr["value"], 0.5), xytext=(2, 2 + 10 * j),
                            textcoords="offset points", fontsize=7, color=colour)
    ax.set_xlabel("public belief $b$")
    ax.set_ylabel("precision $q^*(b)$")
    ax.set_ylim(0.48, 1.04)
    ax.legend(fontsize=7, frameon=False, loc="upper right")
    return ax


def plot_regimes_shaded(ax: Any, data: Mapping[str, Any]) -> Any:
    """q*(b) over regime-coloured bands; a supremum, not attained, is hatched."""
    for reg in data["regimes"]:
        colour = MODE_COLOURS[reg["mode"]]
        hatch = "///" if reg["mode"] in LIMIT_MODES else None
        ax.axvspan(reg["lo"], max(reg["hi"], reg["lo"] + 2e-3), color=colour, alpha=0.18,
                   hatch=hatch, lw=0)
    b, q, side = (np.asarray(data[k]) for k in ("belief", "precision", "side"))
    for seg in _segments(b, side):
        ax.plot(b[seg], q[seg], color="k", lw=1.3)
    present = []
    for reg in data["regimes"]:
        if reg["mode"] not in present:
            present.append(reg["mode"])
    for mode in present:
        ax.fill_between([], [], color=MODE_COLOURS[mode], alpha=0.3, label=mode)
    ax.set_xlabel("public belief $b$")
    ax.set_ylabel("precision $q^*(b)$")
    ax.set_ylim(0.48, 1.04)
    ax.legend(fontsize=7, frameon=False, loc="lower right")
    return ax


def plot_regime_map(ax: Any, data: Mapping[str, Any]) -> Any:
    """The mode at each (belief, parameter) as an image."""
    from matplotlib.colors import ListedColormap

    names = list(MODE_COLOURS)
    codes = np.vectorize(names.index)(np.asarray(data["mode"]))
    b, values = np.asarray(data["belief"]), np.asarray(data["values"])
    ax.imshow(codes, origin="lower", aspect="auto", interpolation="nearest",
              cmap=ListedColormap(list(MODE_COLOURS.values())), vmin=-0.5,
              vmax=len(names) - 0.5,
              extent=(b[0], b[-1], values[0], values[-1]))
    ax.set_xlabel("public belief $b$")
    ax.set_ylabel({"k": "cost scale $k$", "delta": r"discount $\delta$"}.get(
        data["parameter"], data["parameter"]))
    for code in np.unique(codes):
        ax.fill_between([], [], color=MODE_COLOURS[names[code]], label=names[code])
    ax.legend(fontsize=6, frameon=False, loc="upper right", ncols=2)
    return ax


def _cycle(n: int) -> list[str]:
    base = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf"]
    return [base[i % len(base)] for i in range(n)]


SETTING_COLOURS = {"analytical": "#1f77b4", "hybrid": "#ff7f0e", "behavioral": "#2ca02c"}


def plot_welfare_bars(ax: Any, rows: Sequence[Mapping[str, Any]], state: str,
                      metric: str = "welfare_pct", z: float = 1.96) -> Any:
    """Grouped bars of a welfare-table metric (rows of ``welfare_table``) for one state.

    Groups are (planner, horizon); one bar per setting, with ±z·se error bars, and a dashed
    line at 100 (the no-control baseline).
    """
    cells = [r for r in rows if r["state"] == state and r["setting"] in SETTING_COLOURS]
    groups = list(dict.fromkeys((r["planner"], r["horizon"]) for r in cells))
    width = 0.8 / len(SETTING_COLOURS)
    for j, (setting, colour) in enumerate(SETTING_COLOURS.items()):
        sel = {(r["planner"], r["horizon"]): r for r in cells if r["setting"] == setting}
        x = np.arange(len(groups)) + (j - (len(SETTING_COLOURS) - 1) / 2) * width
        y = [sel[g][metric] if g in sel else np.nan for g in groups]
        err = [z * sel[g][f"{metric}_se"] if g in sel else 0.0 for g in groups]
        ax.bar(x, y, width, yerr=err, color=colour, label=setting, capsize=2)
    if metric != "spend_pct":
        ax.axhline(100.0, color="0.3", ls="--", lw=0.8)
    ax.set_xticks(np.arange(len(groups)))
    ax.set_xticklabels([f"{p}\n{h}" for p, h in groups], fontsize=8)
    ax.set_ylabel({"loss_pct": "welfare loss, % of baseline",
                   "spend_pct": "expenditure, % of baseline loss",
                   "welfare_pct": "welfare (correct actions), % of baseline"}.get(metric, metric))
    ax.set_title(f"$\\omega = {state}$", fontsize=9)
    ax.legend(fontsize=7, frameon=False)
    return ax


def plot_bars(
    ax: Any,
    groups: Sequence[str],
    series: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    ylabel: str,
    reference: float | None = 100.0,
    z: float = 1.96,
) -> Any:
    """Grouped bars: one group per label, one bar per series, ±z·se error bars.

    ``series`` maps a name to (means, standard errors), aligned with ``groups``; NaN means
    "not available" and draws no bar.
    """
    width = 0.8 / max(len(series), 1)
    colours = _cycle(len(series))
    for j, ((name, (mean, se)), colour) in enumerate(zip(series.items(), colours, strict=True)):
        x = np.arange(len(groups)) + (j - (len(series) - 1) / 2) * width
        err = z * np.nan_to_num(np.asarray(se, dtype=float))
        ax.bar(x, np.asarray(mean, dtype=float), width, yerr=err, color=colour, label=name,
               capsize=2)
    if reference is not None:
        ax.axhline(reference, color="0.3", ls="--", lw=0.8)
    ax.set_xticks(np.arange(len(groups)))
    ax.set_xticklabels(list(groups), fontsize=7)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=6, frameon=False)
    return ax


def plot_reported_beliefs(ax: Any, rows: Sequence[Mapping[str, Any]]) -> Any:
    """LLM agents' reported beliefs against the Bayesian posterior (NB1–NB3).

    Points are split by whether the private signal agreed with the public belief's lean.
    """
    answered = [r for r in rows if r.get("reported") is not None]
    groups = (("agree", "#1f77b4", "o", "signal agrees"),
              ("contradict", "#d62728", "^", "signal contradicts"),
              (None, "#7f7f7f", "s", "no lean (b = 1/2)"))
    for side, colour, marker, label in groups:
        sel = [r for r in answered
               if r.get("side") == side or (side is None and r.get("side") not in
                                            ("agree", "contradict"))]
        if sel:
            ax.scatter([r["bayes"] for r in sel], [r["reported"] for r in sel], s=14,
                       color=colour, marker=marker, alpha=0.7, label=label)
    ax.plot([0, 1], [0, 1], color="0.4", lw=0.8, ls="--", label="Bayesian")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("Bayesian posterior")
    ax.set_ylabel("reported belief")
    ax.legend(fontsize=6, frameon=False)
    return ax


def plot_policy_vs_optimum(ax: Any, entry: Mapping[str, Any], title: str) -> Any:
    """An LLM planner's precisions (points) against the optimal q*(b) (line)."""
    ax.plot(entry["curve_b"], entry["curve_q"], color="k", lw=1.1, label="optimum $q^*$")
    rows = [r for r in entry["rows"] if r.get("q_llm") is not None]
    ax.scatter([r["b"] for r in rows], [r["q_llm"] for r in rows], s=16, color="#d62728",
               zorder=3, label="LLM planner")
    ax.set_ylim(0.48, 1.04)
    ax.set_xlabel("public belief $b$")
    ax.set_ylabel("precision")
    ax.set_title(title, fontsize=8)
    ax.legend(fontsize=6, frameon=False)
    return ax


def plot_deviation_histogram(ax: Any, deviations: Sequence[float]) -> Any:
    """Histogram of the percentage policy deviation |q_LLM − q*| / 0.5 × 100."""
    ax.hist(np.asarray(deviations, dtype=float), bins=np.arange(0, 105, 5), color="#7f7f7f")
    ax.axvline(10.0, color="#d62728", ls="--", lw=0.8, label="10%")
    ax.set_xlabel(r"policy deviation $|q_{LLM} - q^*| / 0.5$ (%)")
    ax.set_ylabel("beliefs")
    ax.legend(fontsize=6, frameon=False)
    return ax
