"""What ``steerherd solve`` does once its options are parsed: solve, print, certify, write, draw.

Both front ends call :func:`answer`: the typer command (:mod:`steerherd.commands.solve`) and
the quick parser of the usual command lines (:mod:`steerherd.commands.solve_quick`). Nothing
here imports typer, pydantic, rich or matplotlib before the answer is out: the table is
printed, the certified bounds computed and the JSON written first, and the PNG is drawn last.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from steerherd.model import Params

#: The ``--method`` choices: the fast solver, value, policy, modified policy iteration, LP.
METHODS = ("fast", "vi", "pi", "mpi", "lp")


def answer(params: Params, *, beliefs: int, precisions: int, method: str, refine: bool,
           out: Path | None, json_path: str | None, sensitivity: bool, tol: float | None
           ) -> None:
    """Solve, print the grid answer, certify, write the JSON, then draw the PNG.

    Args:
        params: the validated problem.
        beliefs: the belief grid's size (validated with ``params``).
        precisions: the precision grid's size (validated with ``params``).
        method: one of :data:`METHODS`.
        refine: refine the best grid precision continuously.
        out: directory for solution.json and solution.png (None: results/solve, or none
            with ``json_path = "-"``).
        json_path: an extra copy of the JSON; ``"-"`` prints it alone on stdout.
        sensitivity: also report the derivatives of the thresholds and V(prior).
        tol: the certified bounds' target gap (None: the default budget).
    """
    from steerherd import solve as run_solve

    out = _check_outputs(out, json_path)
    sol = run_solve(params, beliefs=beliefs, precisions=precisions, method=method,
                    refine=refine)
    derivs = None
    if sensitivity:
        from steerherd.theory.sensitivity import sensitivity as run_sensitivity

        derivs = run_sensitivity(params, beliefs=beliefs, precisions=precisions,
                                 method=method)
    if json_path == "-":  # machine-readable only: the JSON carries the certified bounds
        _certify(sol, tol)
        base = sol.to_dict()
        print(json.dumps(_data(base, derivs)), flush=True)
        if out is None:
            return
    assert out is not None
    if json_path != "-":
        _summary(sol, out)  # the grid answer first; the continuous-problem bounds follow
        if derivs is not None:
            _print_sensitivity(derivs)
        _certify(sol, tol)
        base = sol.to_dict()  # its certified regimes are printed, not computed again
        _print_certified(sol, base.get("bounds", {}).get("regimes"))
    data = _data(base, derivs)
    if json_path not in (None, "-"):
        Path(json_path).write_text(json.dumps(data))
    sol.save(out / "solution.json", base)
    print(f"wrote {out / 'solution.json'}; drawing {out / 'solution.png'}", flush=True)
    _plot(data, out / "solution.png")  # after the answer: matplotlib is imported only now


def _certify(sol: Any, tol: float | None) -> None:
    """Compute the certified bounds on the continuous problem.

    To ``tol`` (or fail naming the gap), or by default at 1e-3·C/(1 − δ) within 30 s,
    keeping the valid wider bounds reached.
    """
    if sol.certified is not None and sol.certified.value is not None:
        return
    if tol is not None:
        sol.certified_bounds(tol)
        return
    from steerherd.dp.bounds.cache import CertifiedCache

    cache = CertifiedCache(sol.params, sol.agent)
    object.__setattr__(sol, "certified", cache)
    cache.get(None, max_seconds=30.0, keep_partial=sol.params.horizon is None)


def _data(base: dict[str, Any], derivs: list[Any] | None) -> dict[str, Any]:
    """The solution's dict (``Solution.to_dict``), with the sensitivities if asked for."""
    if derivs is None:
        return base
    return {**base, "sensitivity": [d.to_dict() for d in derivs]}


def _check_outputs(out: Path | None, json_path: str | None) -> Path | None:
    """Refuse unwritable outputs before solving; returns the --out directory (None: none)."""
    from steerherd.files import check_output_dir, check_output_file

    if json_path not in (None, "-"):
        check_output_file(json_path, "--json")
    if json_path == "-" and out is None:
        return None
    out = check_output_dir(Path("results/solve") if out is None else out, "--out")
    for name in ("solution.json", "solution.png"):
        check_output_file(out / name, "--out")
    return out


def _print_sensitivity(derivs: list[Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    from steerherd.theory.sensitivity import STEPS

    table = Table(title="sensitivity (central differences; steps "
                  + ", ".join(f"{k}: {v:g}" for k, v in STEPS.items()) + ", k's times max(k, 1))",
                  title_justify="left")
    for col in ("quantity", "d/d", "derivative", "± (grid)", "exact", "left", "right", "note"):
        table.add_column(col)

    def fmt(v: float | None) -> str:
        return "—" if v is None else f"{v:.4g}"

    unresolved = 0
    for d in derivs:
        notes = [("KINK: " if d.kink else "") + d.note] if (d.kink or d.note) else []
        if _below_grid_error(d):
            unresolved += 1
            notes.append("NOT RESOLVED: |derivative| < its grid error")
        table.add_row(d.quantity, d.parameter, fmt(d.value), fmt(d.uncertainty), fmt(d.exact),
                      fmt(d.left), fmt(d.right), "; ".join(notes))
    console = Console()
    console.print(table)
    if unresolved:
        console.print(f"{unresolved} derivative(s) smaller than their own grid error: their "
                      "sign and size are not resolved; refine the grid (--beliefs, "
                      "--precisions) to measure them.", markup=False)


def _below_grid_error(d: Any) -> bool:
    """The derivative is smaller in size than the bound on its discretisation error."""
    return (d.value is not None and d.uncertainty is not None and d.exact is None
            and abs(d.value) < d.uncertainty)


def _summary(sol: Any, out: Path) -> None:
    """The grid answer: the problem, the regimes table, thresholds, certificate, V(prior).

    Printed with plain ``print`` (rich costs ~40 ms to import, a fifth of the answer's time
    budget); the table has rich's heavy-head box, as before.
    """
    par = sol.params
    head, *rest = sol.describe()  # short lines written for people (Solution.describe)
    lines = [_bold(head), rest[0]]  # cost and horizon
    lines += _table("regimes", ("mode", "beliefs", "q*", "q range"),
                    [(r.mode, f"[{r.lo:.4f}, {r.hi:.4f}]", r.formula,
                      f"{r.q_lo:.4f}–{r.q_hi:.4f}") for r in sol.regimes])
    lines += [line.strip() for line in rest[2:]]  # thresholds, certificate, bounds, grid
    lines.append(f"V(prior = {par.prior:g}) = {float(sol.value(par.prior)):.6g}")
    print("\n".join(lines), flush=True)


def _table(title: str, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    """A table in rich's heavy-head box (the look ``rich.table.Table`` gave this command).

    As rich did, it fits the terminal's width (80 columns off a terminal): the widest
    column is narrowed, and its cells wrapped at spaces, until the table fits.
    """
    import shutil
    import textwrap

    cols = list(zip(header, *rows, strict=True))
    width = [max(len(c) for c in col) for col in cols]
    least = [max(len(word) for c in col for word in c.split() or [""]) for col in cols]
    limit = shutil.get_terminal_size((80, 24)).columns
    while sum(width) + 3 * len(width) + 1 > limit:
        j = max(range(len(width)), key=lambda i: width[i] - least[i])
        if width[j] <= least[j]:
            break
        width[j] -= 1

    def line(left: str, fill: str, mid: str, right: str) -> str:
        return left + mid.join(fill * (w + 2) for w in width) + right

    def row(cells: tuple[str, ...], bar: str, bold: bool = False) -> list[str]:
        parts = [textwrap.wrap(c, w) or [""] for c, w in zip(cells, width, strict=True)]
        out = []
        for k in range(max(len(p) for p in parts)):
            text = [p[k] if k < len(p) else "" for p in parts]
            padded = [(_bold(t) if bold else t) + " " * (w - len(t))
                      for t, w in zip(text, width, strict=True)]
            out.append(bar + bar.join(f" {t} " for t in padded) + bar)
        return out

    total = sum(width) + 3 * len(width) + 1
    body = [text for r in rows for text in row(r, "│")]
    return [title.ljust(total), line("┏", "━", "┳", "┓"), *row(header, "┃", bold=True),
            line("┡", "━", "╇", "┩"), *body, line("└", "─", "┴", "┘")]


def _bold(text: str) -> str:
    """Bold on a terminal (unless NO_COLOR is set), as rich printed it; plain otherwise."""
    import os
    import sys

    if sys.stdout.isatty() and "NO_COLOR" not in os.environ:
        return f"\x1b[1m{text}\x1b[0m"
    return text


def _print_certified(sol: Any, reg: dict[str, Any] | None) -> None:
    """The certified bounds on the continuous problem, beside (not instead of) the grid's.

    ``reg`` is the certified regimes' dict (in the JSON's bounds block); None for a finite
    horizon, which has none.
    """
    par = sol.params
    cb = sol.certified.value
    reached = "≤" if cb.max_gap <= cb.tol else "> (not reached in time; pass --tol)"
    lines = [
        f"certified bounds (the continuous problem, every belief): max gap {cb.max_gap:.2e} "
        f"{reached} tol {cb.tol:.1e}",
        f"  {cb.stats['cells']} cells, {cb.stats['seconds']:.1f} s",
    ]
    lo, up = cb.at(par.prior)
    lines.append(f"  V*(prior) ∈ [{float(lo):.6g}, {float(up):.6g}]; certified policy "
                 f"q(prior) = {float(cb.policy(par.prior)):.6g}")
    if reg is not None:
        lines.append(f"  certified thresholds (q resolution {reg['resolution']:g}; "
                     f"{len(reg['undecided'])} undecided intervals):")
        lines += [f"    {t['from']} → {t['to']} ∈ [{t['lo']:.5f}, {t['hi']:.5f}]"
                  for t in reg["thresholds"]] or ["    none"]
    print("\n".join(lines), flush=True)


def _plot(data: dict[str, Any], path: Path) -> None:
    # A bare Figure (no pyplot, no GUI backend machinery): keeps the command fast.
    from steerherd.plotting import solution_figure

    fig = solution_figure(data)
    fig.savefig(path, dpi=110)
