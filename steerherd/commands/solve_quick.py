"""The usual ``steerherd solve`` command lines, parsed without typer and pydantic (issue 11).

typer builds a pydantic adapter for every option, and the problem spec is a pydantic model:
importing and building them takes ~90 ms, as long as importing numpy, before the first
number is computed. A command line made only of ``solve``'s own options, each with a
well-formed value that the problem's rules accept, is parsed here instead: into the values
typer would pass, checked by the same rules (:func:`steerherd.types.grid_size_error`,
:func:`steerherd.types.problem_error`, then :class:`~steerherd.model.Params`), and answered
by the same :func:`steerherd.commands.solve_run.answer`.

Anything else returns False before any work is done, and the typer command parses the line:
``--help``, an option that is not ``solve``'s, a missing or malformed value, a value the
rules refuse. Its help, usage errors and messages are therefore the only ones there are.
The table below is tested against the typer command's signature (names, flags, defaults).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from steerherd.commands.solve_run import METHODS, answer
from steerherd.errors import ParameterError
from steerherd.types import (
    COST_FAMILIES,
    MAX_BELIEFS,
    MAX_GRID_PAIRS,
    MAX_PRECISIONS,
    MIN_BELIEFS,
    MIN_PRECISIONS,
    PLANNERS,
    grid_size_error,
    problem_error,
)

if TYPE_CHECKING:
    from steerherd.model import Params


def _whole(text: str) -> int:
    return int(text)  # as the typer command's parser, int(str(value))


def _choice(choices: tuple[str, ...]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in choices:
            raise ValueError(text)
        return text
    return parse


def _path(text: str) -> Path:
    if not text:
        raise ValueError(text)
    return Path(text)


#: Each option that takes a value: its flags → (parameter, parser).
OPTIONS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "--planner": ("planner", _choice(PLANNERS)),
    "--p": ("p", float),
    "--k": ("k", float),
    "--C": ("C", float),
    "-C": ("C", float),
    "--delta": ("delta", float),
    "--cost": ("cost", _choice(COST_FAMILIES)),
    "--alpha": ("alpha", float),
    "--horizon": ("horizon", _whole),
    "--prior": ("prior", float),
    "--beliefs": ("beliefs", _whole),
    "--precisions": ("precisions", _whole),
    "--method": ("method", _choice(METHODS)),
    "--out": ("out", _path),
    "--json": ("json_path", str),
    "--tol": ("tol", float),
}
#: Each on/off flag → (parameter, value).
FLAGS: dict[str, tuple[str, bool]] = {
    "--refine": ("refine", True),
    "--no-refine": ("refine", False),
    "--sensitivity": ("sensitivity", True),
    "--no-sensitivity": ("sensitivity", False),
}
#: The typer command's defaults.
DEFAULTS: dict[str, Any] = {
    "planner": "altruistic", "p": 0.7, "k": 0.5, "C": 1.0, "delta": 0.9, "cost": "linear",
    "alpha": None, "horizon": None, "prior": 0.5, "beliefs": 1001, "precisions": 201,
    "method": "fast", "refine": False, "out": None, "json_path": None, "sensitivity": False,
    "tol": None,
}
_FINITE = ("p", "k", "C", "delta", "prior", "alpha")


def parse(args: list[str]) -> dict[str, Any] | None:
    """The values of ``solve``'s options in ``args`` (without "solve"), or None.

    None for anything typer should parse: an unknown token, a value missing or malformed.
    As click does, the last of repeated options wins and a value may follow as
    ``--name value`` or ``--name=value`` (``-C value`` for the one short option).
    """
    values = dict(DEFAULTS)
    rest = list(args)
    while rest:
        token = rest.pop(0)
        name, eq, text = token.partition("=") if token.startswith("--") else (token, "", "")
        if name in FLAGS and not eq:
            key, flag = FLAGS[name]
            values[key] = flag
            continue
        if name not in OPTIONS or (not eq and not rest):
            return None
        if not eq:
            text = rest.pop(0)
        if text.startswith("-") and text != "-" and not text[1:2].isdigit() \
                and text[1:2] != ".":
            return None  # an option where a value should be: typer says so
        key, convert = OPTIONS[name]
        try:
            values[key] = convert(text)
        except ValueError:
            return None
    return values


def problem(values: dict[str, Any]) -> Params | None:
    """The validated :class:`~steerherd.model.Params` of parsed values, or None.

    None where the problem spec would refuse them (typer then reports why); the values are
    those :class:`~steerherd.spec.ProblemSpec` checks, by the same functions.
    """
    if any(values[name] is not None and not math.isfinite(values[name]) for name in _FINITE):
        return None
    horizon = values["horizon"]
    if (horizon is not None and horizon < 1
            or grid_size_error("beliefs", values["beliefs"], MIN_BELIEFS, MAX_BELIEFS)
            or grid_size_error("precisions", values["precisions"], MIN_PRECISIONS,
                               MAX_PRECISIONS)
            or problem_error(values["cost"], values["alpha"], values["beliefs"],
                             values["precisions"], horizon, MAX_GRID_PAIRS)):
        return None
    from steerherd.model import Params, make_cost

    try:
        return Params(planner=values["planner"], p=values["p"], C=values["C"],
                      delta=values["delta"], horizon=horizon, prior=values["prior"],
                      cost=make_cost(values["cost"], k=values["k"], alpha=values["alpha"]))
    except ParameterError:
        return None


def quick_solve(args: list[str]) -> bool:
    """Answer ``steerherd solve ...`` here if its line is a usual one; False: typer's turn."""
    if not args or args[0] != "solve":
        return False
    values = parse(args[1:])
    params = None if values is None else problem(values)
    if values is None or params is None:
        return False
    answer(params, beliefs=values["beliefs"], precisions=values["precisions"],
           method=values["method"], refine=values["refine"], out=values["out"],
           json_path=values["json_path"], sensitivity=values["sensitivity"],
           tol=values["tol"])
    return True
