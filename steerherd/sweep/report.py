"""Reading a sweep back: the results table and the regime map (mode at each (b, parameter))."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from steerherd.errors import ParameterError

#: Parameters that can be the regime map's horizontal axis.
NUMERIC = ("p", "k", "alpha", "delta", "C", "prior")
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


def resolve_axis(stored: list[dict[str, Any]], x: str | None,
                 where: dict[str, str] | None = None) -> str:
    """The regime map's x axis: ``x``, or the default; ParameterError if it cannot be drawn.

    Raises:
        ParameterError: for an empty store or selection, an axis that is not a numeric
            parameter, or one that some selected instance lacks (alpha of a linear cost).
    """
    check_axis(x)
    rows = [r for r in (flat(r) for r in stored) if _matches(r, where or {})]
    if not rows:
        raise ParameterError("the results store is empty: nothing to draw" if not where else
                             f"no stored instance matches --where {where}: nothing to draw")
    x = default_axis(rows) if x is None else x
    if any(r[x] is None for r in rows):
        usable = [k for k in NUMERIC if all(r[k] is not None for r in rows)]
        raise ParameterError(f"--x {x}: some stored instances have no {x} (linear cost); "
                             f"choose one of {usable}")
    return x


def check_axis(x: str | None) -> None:
    """Raise ParameterError unless ``x`` is None or a numeric parameter (checked before output)."""
    if x is not None and x not in NUMERIC:
        raise ParameterError(f"--x must be one of {list(NUMERIC)}, got {x!r}")


def parse_where(items: list[str] | None) -> dict[str, str]:
    """``["planner=biased", "k=0.5"]`` → ``{"planner": "biased", "k": "0.5"}`` (validated)."""
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or key not in COLUMNS or not value:
            raise ParameterError(f"--where takes COLUMN=VALUE with COLUMN one of {list(COLUMNS)},"
                                 f" got {item!r}")
        out[key] = value
    return out


#: Columns ``--where`` can select on.
COLUMNS = ("planner", "p", "k", "cost", "alpha", "delta", "C", "horizon", "prior", "beliefs",
           "precisions")


def _matches(row: dict[str, Any], where: dict[str, str]) -> bool:
    for key, want in where.items():
        have = row[key]
        if isinstance(have, int | float) and not isinstance(have, bool):
            try:
                if abs(float(have) - float(want)) > 1e-9 * max(1.0, abs(float(have))):
                    return False
            except ValueError:
                return False
        elif str(have) != want:
            return False
    return True


def mode_grids(stored: list[dict[str, Any]], x: str | None = None,
               where: dict[str, str] | None = None, beliefs: int = 401
               ) -> tuple[list[tuple[str, dict[str, Any]]], int]:
    """Regime-map panels (title, mode grid) of a sweep, and how many panels were left out.

    One panel per combination of the other varying columns (after ``where``), at most
    :data:`MAX_PANELS`; each mode grid holds the mode at ``beliefs`` even beliefs for every
    value of ``x`` (read off the stored regimes).

    Raises:
        ParameterError: for an empty selection or an axis that is not a numeric parameter.
    """
    import numpy as np

    check_axis(x)
    rows = [flat(r) | {"regimes": r["summary"]["regimes"]} for r in stored]
    rows = [r for r in rows if _matches(r, where or {})]
    if not rows:
        raise ParameterError("no stored instance matches: nothing to draw"
                             + (f" (--where {where})" if where else ""))
    x = default_axis(rows) if x is None else x
    others = [k for k in varying(rows) if k != x]
    panels: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for r in rows:
        panels.setdefault(tuple(r[k] for k in others), []).append(r)
    keys = sorted(panels, key=str)
    b = np.linspace(0.0, 1.0, beliefs)
    out = []
    for key in keys[:MAX_PANELS]:
        by_value = sorted(panels[key], key=lambda r: r[x])
        modes = []
        for r in by_value:
            regs = r["regimes"]
            idx = np.searchsorted([g["lo"] for g in regs], b, side="right") - 1
            modes.append([regs[max(i, 0)]["mode"] for i in idx])
        title = ", ".join(f"{k} = {v}" for k, v in zip(others, key, strict=True)) or "all"
        out.append((title, {"parameter": x, "values": [r[x] for r in by_value],
                            "belief": b.tolist(), "mode": modes}))
    return out, max(0, len(keys) - MAX_PANELS)


def draw_regime_map(stored: list[dict[str, Any]], path: str | Path, x: str | None = None,
                    where: dict[str, str] | None = None) -> tuple[Path, int]:
    """Write the regime map PNG of a sweep; return its path and the panels left out.

    Raises:
        ParameterError: for an empty selection or an axis that is not a numeric parameter.
    """
    from steerherd.plotting import regime_map_figure

    panels, dropped = mode_grids(stored, x, where)
    title = ", ".join(f"{k} = {v}" for k, v in (where or {}).items()) or None
    fig = regime_map_figure(panels, width=7.0, ncols=min(3, len(panels)), title=title)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=130)
    return path, dropped


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
