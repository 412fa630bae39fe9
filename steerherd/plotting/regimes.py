"""The one regime map: the policy mode at each (belief, parameter), for papers and sweeps.

Input is a *mode grid*: ``{"parameter": name, "values": [...], "belief": [...],
"mode": [[mode per belief] per value]}``. ``sims/regime_map_data.py`` writes it from solved
instances and :func:`steerherd.sweep.report.mode_grids` builds it from a sweep store. Each
mode is drawn in its palette colour *and* hatch, so the map reads without colour.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from steerherd.plotting.palette import MODE_STYLES, mode_style

#: Where each parameter can lie: the map's cells never extend past it.
DOMAINS = {"k": (0.0, np.inf), "delta": (0.0, 1.0), "p": (0.5, 1.0), "alpha": (0.0, 1.0),
           "C": (0.0, np.inf), "prior": (0.0, 1.0)}
#: Axis labels of the parameters a map can vary.
PARAMETER_LABELS = {
    "k": "cost scale $k$", "delta": r"discount $\delta$", "p": "free precision $p$",
    "alpha": r"cost exponent $\alpha$", "C": "loss $C$", "prior": "prior $b_1$",
}


def mode_codes(mode: Any) -> tuple[np.ndarray, list[str]]:
    """Integer codes of a mode grid and the names they index (known modes first, in order)."""
    arr = np.asarray(mode)
    names = list(MODE_STYLES) + sorted(set(arr.ravel().tolist()) - set(MODE_STYLES))
    return np.vectorize(names.index, otypes=[int])(arr), names


def _edges(centres: np.ndarray) -> np.ndarray:
    if centres.size == 1:
        return np.array([centres[0] - 0.5, centres[0] + 0.5])
    mid = 0.5 * (centres[1:] + centres[:-1])
    return np.concatenate([[centres[0] - (mid[0] - centres[0])], mid,
                           [centres[-1] + (centres[-1] - mid[-1])]])


def plot_regime_map(ax: Any, data: Mapping[str, Any], legend: bool = True) -> Any:
    """Mode over (belief b on x, parameter on y): colour image plus a hatch per mode.

    Parameter values need not be evenly spaced (the image is non-uniform).
    """
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.image import NonUniformImage

    codes, names = mode_codes(data["mode"])
    b = np.asarray(data["belief"], dtype=float)
    values = np.asarray(data["values"], dtype=float)
    cmap = ListedColormap([mode_style(n).colour for n in names])
    norm = BoundaryNorm(np.arange(len(names) + 1) - 0.5, len(names))
    bx = np.clip(_edges(b), 0.0, 1.0)
    lo, hi = DOMAINS.get(data["parameter"], (-np.inf, np.inf))
    vy = np.clip(_edges(values), lo, hi)
    image = NonUniformImage(ax, interpolation="nearest", cmap=cmap, norm=norm,
                            extent=(bx[0], bx[-1], vy[0], vy[-1]))
    image.set_data(b, values, codes)
    ax.add_image(image)
    # Hatches: contours of each mode's indicator, padded so that edge cells are covered.
    px = np.concatenate([[bx[0]], b, [bx[-1]]])
    py = np.concatenate([[vy[0]], values, [vy[-1]]])
    padded = np.pad(codes, 1, mode="edge")
    ax.set_xlim(bx[0], bx[-1])
    ax.set_ylim(vy[0], vy[-1])
    present = sorted(set(codes.ravel().tolist()))
    for code in present:  # the second cue: a hatch over each mode's cells
        hatch = mode_style(names[code]).hatch
        if hatch:
            ax.contourf(px, py, (padded == code).astype(float), levels=[0.5, 1.5],
                        colors="none", hatches=[hatch])
    if values.size <= 8:  # few values: tick each one (the cells are nearest-value bands)
        ax.set_yticks(values)
    ax.set_xlabel("public belief $b$")
    ax.set_ylabel(PARAMETER_LABELS.get(data["parameter"], data["parameter"]))
    if legend:
        ax.legend(handles=mode_handles([names[c] for c in present]), fontsize=6,
                  frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.25), ncols=3)
    return ax


def mode_handles(modes: Sequence[str]) -> list[Any]:
    """Legend swatches (colour, hatch and a dark edge so light colours stay visible)."""
    from matplotlib.patches import Patch

    return [Patch(facecolor=mode_style(m).colour, hatch=mode_style(m).hatch, edgecolor="0.25",
                  lw=0.5, label=mode_style(m).label) for m in modes]


def regime_map_figure(panels: Sequence[tuple[str, Mapping[str, Any]]], width: float = 5.5,
                      ncols: int = 2, panel_height: float = 1.9, title: str | None = None
                      ) -> Any:
    """A Figure of regime maps, one panel per (title, mode grid), one shared legend."""
    from matplotlib.figure import Figure

    ncols = max(1, min(ncols, len(panels)))
    nrows = -(-len(panels) // ncols)
    fig = Figure(figsize=(width, panel_height * nrows + 0.5), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    modes: list[str] = []
    for ax, (name, data) in zip(axes, panels, strict=False):
        plot_regime_map(ax, data, legend=False)
        ax.set_title(name, fontsize=7)
        codes, names = mode_codes(data["mode"])
        modes += [names[c] for c in sorted(set(codes.ravel().tolist())) if names[c] not in modes]
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    order = [m for m in MODE_STYLES if m in modes] + [m for m in modes if m not in MODE_STYLES]
    fig.legend(handles=mode_handles(order), loc="outside lower center", ncols=len(order),
               fontsize=6, frameon=False)
    if title:
        fig.suptitle(title, fontsize=8)
    return fig
