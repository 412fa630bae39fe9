"""Reading a sweep back: the results table and the regime map (mode at each (b, parameter))."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from steerherd.errors import ParameterError

#: Parameters that can be the regime map's horizontal axis.
NUMERIC = ("p", "k", "alpha", "delta", "C", "prior")
MODE_COLORS = {"baseline": "#bdbdbd", "full": "#2c7fb8", "informative": "#7fcdbb",
               "obfuscate": "#d95f0e", "other": "#fec44f", "escape": "#756bb1",
               "tip": "#f768a1"}
#: A regime map draws at most this many panels (one per combination of the other axes).
MAX_PANELS = 12


def flat(row: dict[str, Any]) -> dict[str, Any]:
    """One stored row as flat columns (parameters, grid, headline results)."""
    par, summ = row["params"], row["summary"]
    cost = par["cost"]
    thr = {k: (None if t is None else t["value"]) for k, t in summ["thresholds"].items()}
    return {
        "planner": par["planner"], "p": par["p"], "k": cost.get("k"), "cost": cost["family"],
        "alpha": cost.get("alpha"), "delta": par["delta"], "C": par["C"],
        "horizon": par["horizon"], "prior": par["prior"], "beliefs": row["grid"]["beliefs"],
        "precisions": row["grid"]["precisions"], "V(prior)": summ["value_at_prior"],
        "modes": " ".join(r["mode"] for r in summ["regimes"]),
        "thresholds": thr, "gap": summ["certificate"]["gap"], "seconds": row["seconds"],
    }


def varying(rows: list[dict[str, Any]]) -> list[str]:
    """Columns (of :func:`flat`) that take more than one value in the sweep."""
    keys = ("planner", "p", "k", "cost", "alpha", "delta", "C", "horizon", "prior", "beliefs",
            "precisions")
    return [k for k in keys if len({str(r[k]) for r in rows}) > 1]


def default_axis(rows: list[dict[str, Any]]) -> str:
    """The numeric parameter with the most distinct values."""
    counts = {k: len({r[k] for r in rows}) for k in NUMERIC}
    return max(counts, key=lambda k: (counts[k], -NUMERIC.index(k)))


def check_axis(stored: list[dict[str, Any]], x: str | None) -> str:
    """The regime map's x axis: ``x``, or the default; ParameterError if it cannot be drawn.

    Raises:
        ParameterError: for an empty store, an axis that is not a numeric parameter, or one
            that some stored instance lacks (alpha of a linear cost).
    """
    rows = [flat(r) for r in stored]
    if not rows:
        raise ParameterError("the results store is empty: nothing to draw")
    x = default_axis(rows) if x is None else x
    if x not in NUMERIC:
        raise ParameterError(f"--x must be one of {list(NUMERIC)}, got {x!r}")
    if any(r[x] is None for r in rows):
        usable = [k for k in NUMERIC if all(r[k] is not None for r in rows)]
        raise ParameterError(f"--x {x}: some stored instances have no {x} (linear cost); "
                             f"choose one of {usable}")
    return x


def draw_regime_map(stored: list[dict[str, Any]], path: str | Path, x: str | None = None
                    ) -> Path:
    """Write a PNG: for each panel (the other varying axes fixed), mode over (x, b).

    Raises:
        ParameterError: for an empty store or an axis that is not a numeric parameter.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    x = check_axis(stored, x)
    rows = [flat(r) | {"regimes": r["summary"]["regimes"]} for r in stored]
    others = [k for k in varying(rows) if k != x]
    panels: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for r in rows:
        panels.setdefault(tuple(r[k] for k in others), []).append(r)
    keys = sorted(panels, key=str)[:MAX_PANELS]
    ncol = min(3, len(keys))
    nrow = -(-len(keys) // ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.2 * ncol, 2.6 * nrow), squeeze=False,
                             layout="constrained")
    for ax, key in zip(axes.flat, keys, strict=False):
        _panel(ax, panels[key], x)
        ax.set_title(", ".join(f"{k}={v}" for k, v in zip(others, key, strict=True)) or "all",
                     fontsize=7)
    for ax in list(axes.flat)[len(keys):]:
        ax.set_visible(False)
    fig.legend(handles=[Patch(color=c, label=m) for m, c in MODE_COLORS.items()],
               loc="outside lower center", ncol=7, fontsize=7)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path


def _panel(ax: Any, rows: list[dict[str, Any]], x: str) -> None:
    xs = sorted({r[x] for r in rows})
    width = min((b - a for a, b in zip(xs, xs[1:], strict=False)), default=0.1) * 0.9
    for r in rows:
        regs = r["regimes"]
        for j, reg in enumerate(regs):
            top = regs[j + 1]["lo"] if j + 1 < len(regs) else reg["hi"]
            ax.bar(r[x], max(top - reg["lo"], 1e-3), bottom=reg["lo"], width=width,
                   color=MODE_COLORS.get(reg["mode"], "black"), linewidth=0)
    ax.set_xlabel(x)
    ax.set_ylabel("belief b")
    ax.set_ylim(0, 1)


def print_table(stored: list[dict[str, Any]], limit: int | None = None) -> None:
    """Print the results table (rich)."""
    from rich.console import Console
    from rich.table import Table

    rows = [flat(r) for r in stored]
    cols = [*varying(rows), "V(prior)", "thresholds", "modes", "gap", "seconds"]
    table = Table(title=f"{len(rows)} instances", title_justify="left")
    for c in cols:
        table.add_column(c)
    for r in rows[:limit]:
        cells = []
        for c in cols:
            v = r[c]
            if c == "thresholds":
                v = " ".join(f"{k}={'—' if t is None else f'{t:.4f}'}" for k, t in v.items())
            elif isinstance(v, float):
                v = f"{v:.3g}" if c in ("gap", "seconds") else f"{v:.6g}"
            cells.append(str(v))
        table.add_row(*cells)
    Console(width=200).print(table)
