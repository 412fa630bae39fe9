"""``steerherd solve``: the typer command (its options, help and errors).

The usual command lines never reach it: :mod:`steerherd.commands.solve_quick` parses them
without typer and pydantic, into the same values, and both call
:func:`steerherd.commands.solve_run.answer`. Every option is declared here once; the quick
parser's table is tested against this signature.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from steerherd.commands._parse import no_pydantic_plugins, number, whole_number
from steerherd.commands.solve_run import METHODS, answer
from steerherd.types import COST_FAMILIES, PLANNERS

# The CLI's choices are generated from the spec's literals, never declared again.
Planner = StrEnum("Planner", {name: name for name in PLANNERS})  # type: ignore[misc]
CostFamily = StrEnum("CostFamily", {name: name for name in COST_FAMILIES})  # type: ignore[misc]
_ALTRUISTIC = Planner("altruistic")
_LINEAR = CostFamily("linear")
Method = StrEnum("Method", {name: name for name in METHODS})  # type: ignore[misc]
_FAST = Method("fast")

_F = {"parser": number, "metavar": "FLOAT"}
_I = {"parser": whole_number, "metavar": "INT"}


def solve(
    planner: Annotated[Planner, typer.Option(help="Planner's objective.")] = _ALTRUISTIC,
    p: Annotated[float, typer.Option("--p", help="Baseline precision, in [0.5, 1).", **_F)] = 0.7,
    k: Annotated[
        float, typer.Option("--k", help="Cost scale k >= 0: beta(x) = k*x or k*x^alpha.", **_F)
    ] = 0.5,
    C: Annotated[float, typer.Option("--C", "-C", help="Loss of a wrong action, > 0.", **_F)] = 1.0,
    delta: Annotated[
        float, typer.Option("--delta", help="Discount factor in [0, 1); 1 needs --horizon.", **_F)
    ] = 0.9,
    cost: Annotated[CostFamily, typer.Option(help="Cost family.")] = _LINEAR,
    alpha: Annotated[
        float | None,
        typer.Option(help="Exponent of the power cost, in (0, 1]; needed with --cost power "
                          "(e.g. --alpha 0.5).", **_F),
    ] = None,
    horizon: Annotated[
        int | None,
        typer.Option(help="Finite number of agents N (backward induction) [default: none, "
                          "an infinite horizon].", **_I),
    ] = None,
    prior: Annotated[float, typer.Option(help="Prior P(good) used for V(prior).", **_F)] = 0.5,
    beliefs: Annotated[int, typer.Option(help="Belief grid size.", **_I)] = 1001,
    precisions: Annotated[int, typer.Option(help="Precision grid size.", **_I)] = 201,
    method: Annotated[
        Method, typer.Option(help="Solver: fast (default) or the full pi, vi, mpi, lp.")
    ] = _FAST,
    refine: Annotated[
        bool, typer.Option(help="Refine the best grid precision continuously.")
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option(help="Directory for solution.json and solution.png [default: results/solve]."),
    ] = None,
    json_path: Annotated[
        str | None,
        typer.Option("--json", metavar="PATH", help="Also write the JSON to PATH; '-' for "
                     "stdout only [default: no extra copy]."),
    ] = None,
    sensitivity: Annotated[
        bool, typer.Option(help="Also report d(thresholds, V(prior))/d(k, p, delta), with kinks.")
    ] = False,
    tol: Annotated[
        float | None,
        typer.Option(help="Certify the continuous-belief problem: refine bounds until "
                     "max(upper - lower) <= TOL [default: 1e-3*C/(1-delta)].", **_F),
    ] = None,
) -> None:
    """Solve the planner's problem and report regimes, thresholds and the certificate."""
    with no_pydantic_plugins():
        from steerherd.spec import parse_spec

    spec = parse_spec(dict(planner=planner.value, p=p, C=C, k=k, delta=delta, cost=cost.value,
                           alpha=alpha, horizon=horizon, prior=prior, beliefs=beliefs,
                           precisions=precisions))
    answer(spec.params(), beliefs=beliefs, precisions=precisions, method=method.value,
           refine=refine, out=out, json_path=json_path, sensitivity=sensitivity, tol=tol)
