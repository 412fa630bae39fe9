"""The quick ``steerherd solve`` parser: typer's values, or typer's turn (issue 11).

The quick parser (steerherd.commands.solve_quick) must never accept a command line that the
typer command refuses, and must pass exactly the values typer passes where it accepts one.
Both are checked against the typer command itself: its declared options, and what it hands
to ``answer`` for the same line, on listed lines and on random ones.
"""

from __future__ import annotations

import random
from enum import Enum
from typing import Any

import pytest

import steerherd.commands.solve as typer_solve
import steerherd.commands.solve_quick as quick
from steerherd.commands.app import run_typer
from steerherd.errors import ParameterError


class Answered(Exception):
    """Raised by the recording ``answer`` so that nothing is solved."""


def _recorder(calls: list[dict[str, Any]]) -> Any:
    def record(params: Any, **kwargs: Any) -> None:
        calls.append({"params": params, **kwargs})
        raise Answered
    return record


def _typer_values(args: list[str], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any] | None:
    """What the typer command passes to ``answer`` for ``solve ARGS``; None if it refuses."""
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(typer_solve, "answer", _recorder(calls))
    try:
        code = run_typer(["solve", *args])
    except Answered:
        return calls[0]
    except ParameterError:  # a usage error or a refused value, as the CLI reports them
        assert not calls
        return None
    raise AssertionError(f"typer neither answered nor refused {args}: exit code {code}")


def _quick_values(args: list[str], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any] | None:
    """What the quick parser passes to ``answer`` for ``solve ARGS``; None if it declines."""
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(quick, "answer", _recorder(calls))
    try:
        taken = quick.quick_solve(["solve", *args])
    except Answered:
        return calls[0]
    assert taken is False and not calls
    return None


def test_the_table_is_the_typer_commands_options() -> None:
    import typer

    app = typer.Typer(add_completion=False)
    app.command()(typer_solve.solve)
    command = typer.main.get_command(app)  # one command and no callback: the command itself
    declared: dict[str, tuple[str, Any]] = {}
    for param in command.params:
        default = param.default.value if isinstance(param.default, Enum) else param.default
        assert quick.DEFAULTS[param.name] == default, param.name
        flag = getattr(param, "is_flag", False)  # an on/off pair: --x sets True, --no-x False
        for name in param.opts:
            declared[name] = (param.name, True if flag else None)
        for name in param.secondary_opts:
            declared[name] = (param.name, False)
    quick_flags = {flag: (name, value) for flag, (name, value) in quick.FLAGS.items()}
    quick_options = {flag: (name, None) for flag, (name, _) in quick.OPTIONS.items()}
    assert declared == {**quick_options, **quick_flags}
    assert set(quick.DEFAULTS) == {param.name for param in command.params}


GOOD = [
    [],
    ["--planner", "biased", "--k", "0.5", "--delta", "0.9"],
    ["--p=0.8", "-C", "2", "--C", "3", "--prior", "0.3", "--beliefs", "101"],
    ["--cost", "power", "--alpha", "0.5", "--precisions", "41", "--method", "pi"],
    ["--horizon", "5", "--delta", "1", "--refine", "--no-refine", "--sensitivity"],
    ["--json", "-", "--tol", "0.5", "--out", "somewhere"],
    ["--k", "-0", "--p", ".75", "--delta", "0"],
]
REFUSED = [
    ["--p", "1.2"], ["--p"], ["--p", "abc"], ["--p", "nan"], ["--k", "-1"], ["--k", "inf"],
    ["--delta", "1"], ["--cost", "power"], ["--alpha", "0.5"], ["--beliefs", "3"],
    ["--beliefs", "1.5"], ["--precisions", "20002"], ["--horizon", "0"],
    ["--planner", "selfish"], ["--method", "newton"], ["--refine=1"], ["-C=1"], ["-C1"],
    ["--unknown", "1"], ["extra"], ["--", "--p", "0.8"], ["--help"], ["--out", "--p"],
]
#: Lines that typer accepts but the quick parser leaves to it (they are then typer's).
LEFT_TO_TYPER = [["--help"], ["-C1"], ["--out", "--p"]]


@pytest.mark.parametrize("args", GOOD, ids=" ".join)
def test_usual_lines_get_typers_values(args: list[str], monkeypatch: pytest.MonkeyPatch
                                       ) -> None:
    got = _quick_values(args, monkeypatch)
    assert got is not None, "the quick parser declined a usual line"
    assert got == _typer_values(args, monkeypatch)


@pytest.mark.parametrize("args", REFUSED, ids=" ".join)
def test_refused_or_odd_lines_are_left_to_typer(args: list[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    assert _quick_values(args, monkeypatch) is None
    if args not in LEFT_TO_TYPER:
        assert _typer_values(args, monkeypatch) is None


def test_random_lines_agree_with_typer(monkeypatch: pytest.MonkeyPatch) -> None:
    """A line the quick parser answers is one typer answers with the same values."""
    pool = [["--p", "0.6"], ["--p", "0.99"], ["--p", "0.4"], ["--k", "0"], ["--k", "2.5"],
            ["--C", "0"], ["-C", "1.5"], ["--delta", "0.95"], ["--delta", "1"],
            ["--horizon", "3"], ["--horizon", "2.5"], ["--cost", "power"],
            ["--cost", "linear"], ["--alpha", "1"], ["--alpha", "1.5"], ["--prior", "1"],
            ["--beliefs", "11"], ["--beliefs", "10"], ["--precisions", "2"],
            ["--method", "vi"], ["--method", "lp"], ["--planner", "biased"],
            ["--refine"], ["--no-sensitivity"], ["--json", "-"], ["--tol", "1e-3"],
            ["--p"], ["--k=0.25"], ["--bogus"]]
    rng = random.Random(11)
    answered = 0
    for _ in range(300):
        args = [token for part in rng.sample(pool, rng.randint(1, 5)) for token in part]
        got = _quick_values(args, monkeypatch)
        if got is not None:
            answered += 1
            assert got == _typer_values(args, monkeypatch), args
    assert answered > 30  # the sample exercises accepted lines, not only refusals
