"""Solution plots: V*(b) and q*(b) from a solution dict (``Solution.to_dict()`` or its JSON).

Each function draws on given Axes and returns them; nothing is computed here (the curves are
the stored nodes, drawn segment by segment so that a jump shows as a jump).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from steerherd.plotting.palette import GREY, mode_style, series

B_LABEL = "public belief $b$"
Q_LABEL = "precision $q^*(b)$"


def segments(b: np.ndarray, side: np.ndarray) -> list[slice]:
    """Index ranges between breakpoint triplets: a left limit ends one, a right limit starts one."""
    cuts = [0]
    for i, s in enumerate(side):
        if s == -1:
            cuts.append(i + 1)
        elif s == 1:
            cuts.append(i)
    cuts.append(b.size)
    return [slice(a, c) for a, c in zip(cuts[::2], cuts[1::2], strict=True) if c > a]


def threshold_label(name: str) -> str:
    """``t_A`` → ``$t_{A}$`` (mathtext), the name ``solve`` reports."""
    if name.startswith("$"):
        return name
    head, _, sub = name.partition("_")
    return f"${head}_{{{sub}}}$" if sub else name


def thresholds_in(data: Mapping[str, Any], names: Sequence[str] | None = None
                  ) -> list[tuple[str, float]]:
    """(name, value) of the solution's thresholds strictly inside (0, 1), in ``names`` order."""
    thr = data["thresholds"]
    out = []
    for name in (names if names is not None else list(thr)):
        t = thr.get(name)
        if t is not None and 0.0 < t["value"] < 1.0:
            out.append((name, float(t["value"])))
    return out


def label_thresholds(ax: Any, items: Sequence[tuple[str, float, str]], gap: float = 0.07
                     ) -> int:
    """Mark vertical thresholds and label them above the axes without overlap.

    Labels closer than ``gap`` (axes fraction) to a label already in a row move up one row;
    each label is tied to its line by a leader line. Returns the number of rows used (so the
    caller can leave room for a title).
    """
    rows: list[float] = []  # rightmost label x of each row
    x0, x1 = ax.get_xlim()
    for name, x, colour in sorted(items, key=lambda t: t[1]):
        ax.axvline(x, color=colour, ls=(0, (1, 1.5)), lw=0.8, zorder=1)
        frac = (x - x0) / (x1 - x0)
        row = next((i for i, last in enumerate(rows) if frac - last >= gap), len(rows))
        if row == len(rows):
            rows.append(frac)
        rows[row] = frac
        ax.annotate(threshold_label(name), xy=(x, 1.0), xycoords=("data", "axes fraction"),
                    xytext=(x, 1.03 + 0.09 * row), textcoords=("data", "axes fraction"),
                    ha="center", va="bottom", fontsize=7, color=colour,
                    arrowprops={"arrowstyle": "-", "lw": 0.5, "color": colour,
                                "shrinkA": 0, "shrinkB": 0})
    return len(rows)


def plot_value(ax: Any, data: Mapping[str, Any], label: str | None = None,
               colour: str = "k", ls: Any = "-") -> Any:
    """V* against b; filled markers where V* is attained at a breakpoint."""
    b, v, side = (np.asarray(data[k]) for k in ("belief", "value", "side"))
    for seg in segments(b, side):
        ax.plot(b[seg], v[seg], color=colour, ls=ls, lw=1.2, label=label)
        label = None
    on_break = np.isin(b, data["grid"]["breakpoints"]) & (side == 0)
    ax.plot(b[on_break], v[on_break], "o", ms=3, mfc="white", mec=colour, zorder=3)
    ax.set_xlabel(B_LABEL)
    ax.set_ylabel("$V^*(b)$")
    return ax


def plot_policy(ax: Any, data: Mapping[str, Any], thresholds: bool = True,
                legend: bool = True) -> Any:
    """q*(b), points coloured and shaped by mode, with the thresholds labelled.

    With ``legend=False`` the caller places the legend (e.g. below a whole figure).
    """
    b, q = np.asarray(data["belief"]), np.asarray(data["precision"])
    mode = np.asarray(data["mode"])
    for name in dict.fromkeys(mode.tolist()):
        st = mode_style(name)
        sel = mode == name
        ax.scatter(b[sel], q[sel], s=5, color=st.colour, marker=st.marker, label=st.label,
                   zorder=2, linewidths=0)
    ax.axhline(data["params"]["p"], color=GREY, lw=0.8, ls="--")
    ax.set_xlabel(B_LABEL)
    ax.set_ylabel(Q_LABEL)
    ax.set_xlim(0, 1)
    ax.set_ylim(0.48, 1.04)
    if thresholds:
        label_thresholds(ax, [(n, x, "0.3") for n, x in thresholds_in(data)])
    if legend:
        ax.legend(loc="lower center", fontsize=6, ncols=3, frameon=False, markerscale=2)
    return ax


def plot_value_functions(ax: Any, labelled: Sequence[tuple[str, Mapping[str, Any]]],
                         legend: bool = True) -> Any:
    """Several V* curves (one per solution dict), each in its own colour and line style."""
    for i, (label, data) in enumerate(labelled):
        colour, ls, _ = series(i)
        b, v, side = (np.asarray(data[k]) for k in ("belief", "value", "side"))
        for j, seg in enumerate(segments(b, side)):
            ax.plot(b[seg], v[seg], color=colour, ls=ls, lw=1.3, label=label if j == 0 else None)
    ax.set_xlabel(B_LABEL)
    ax.set_ylabel("$V^*(b)$")
    ax.set_xlim(0, 1)
    if legend:
        ax.legend(fontsize=6, frameon=False)
    return ax


def plot_policy_curves(ax: Any, labelled: Sequence[tuple[str, Mapping[str, Any]]],
                       thresholds: Sequence[str] = (), title: str | None = None) -> Any:
    """q*(b) for several solutions as lines, with the named thresholds labelled above.

    ``title`` is set above the threshold labels (they take the space a title would).
    """
    marks: list[tuple[str, float, str]] = []
    for i, (label, data) in enumerate(labelled):
        colour, ls, _ = series(i)
        b, q, side = (np.asarray(data[k]) for k in ("belief", "precision", "side"))
        for j, seg in enumerate(segments(b, side)):
            ax.plot(b[seg], q[seg], color=colour, ls=ls, lw=1.4, label=label if j == 0 else None)
        marks += [(n, x, colour) for n, x in thresholds_in(data, thresholds)]
    ax.set_xlabel(B_LABEL)
    ax.set_ylabel(Q_LABEL)
    ax.set_xlim(0, 1)
    ax.set_ylim(0.48, 1.04)
    rows = label_thresholds(ax, _dedupe(marks))
    ax.legend(fontsize=6, frameon=False, loc="lower center")
    if title:
        ax.set_title(title, pad=4 + 11 * rows, fontsize=7)
    return ax


def _dedupe(marks: list[tuple[str, float, str]]) -> list[tuple[str, float, str]]:
    """One label per position.

    Thresholds equal to 1e-9 (t_A = d_A, or the same t_M of two curves) share it, in the
    curve's colour, or in dark grey when curves share it.
    """
    kept: list[tuple[list[str], float, str]] = []
    for name, x, colour in marks:
        same = next((k for k in kept if abs(k[1] - x) < 1e-9), None)
        if same is None:
            kept.append(([name], x, colour))
            continue
        if name not in same[0]:
            same[0].append(name)
        if same[2] != colour:
            kept[kept.index(same)] = (same[0], x, "0.25")
    return [("$" + " = ".join(threshold_label(n)[1:-1] for n in names) + "$", x, c)
            for names, x, c in kept]


def plot_regimes_shaded(ax: Any, data: Mapping[str, Any], thresholds: bool = True,
                        title: str | None = None, legend: bool = True) -> Any:
    """q*(b) over regime bands (colour and hatch per mode), thresholds labelled above."""
    for reg in data["regimes"]:
        st = mode_style(reg["mode"])
        ax.axvspan(reg["lo"], max(reg["hi"], reg["lo"] + 2e-3), facecolor=st.colour,
                   alpha=0.25, hatch=st.hatch, edgecolor=st.colour, lw=0)
    b, q, side = (np.asarray(data[k]) for k in ("belief", "precision", "side"))
    for seg in segments(b, side):
        ax.plot(b[seg], q[seg], color="k", lw=1.3)
    ax.axhline(data["params"]["p"], color=GREY, lw=0.8, ls="--")
    from matplotlib.patches import Patch

    present = list(dict.fromkeys(reg["mode"] for reg in data["regimes"]))
    handles = [Patch(facecolor=mode_style(m).colour, alpha=0.4, hatch=mode_style(m).hatch,
                     edgecolor=mode_style(m).colour, label=mode_style(m).label)
               for m in present]
    ax.set_xlabel(B_LABEL)
    ax.set_ylabel(Q_LABEL)
    ax.set_xlim(0, 1)
    ax.set_ylim(0.48, 1.04)
    rows = label_thresholds(ax, [(n, x, "0.2") for n, x in thresholds_in(data)]) \
        if thresholds else 0
    if legend:
        ax.legend(handles=handles, fontsize=6, frameon=False, loc="lower left")
    if title:
        ax.set_title(title, pad=4 + 11 * rows, fontsize=7)
    return ax
