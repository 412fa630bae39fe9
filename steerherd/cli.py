"""The ``steerherd`` command line: one-line errors and exit codes around the commands.

The usual ``steerherd solve`` lines are parsed by :mod:`steerherd.commands.solve_quick`,
without typer and pydantic (their imports alone take as long as numpy's); everything else,
``--help`` and every error in a command line included, goes to the typer application in
:mod:`steerherd.commands.app`. Errors a user can fix (bad parameters, files, configs) print
one line and exit with code 2, without a traceback.
"""

from __future__ import annotations

import sys

from steerherd.errors import ConvergenceError, SteerherdError


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 1 a failed run, 2 bad input, 130 Ctrl-C)."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        from steerherd.commands.solve_quick import quick_solve

        if quick_solve(args):
            return 0
        from steerherd.commands.app import run_typer

        return run_typer(args)
    except KeyboardInterrupt:
        error("interrupted")
        return 130
    except ConvergenceError as exc:
        error(str(exc))
        return 1
    except SteerherdError as exc:
        error(str(exc))
        return 2
    except ImportError as exc:
        if "steerherd[" not in str(exc):  # not a missing optional extra: a real bug
            raise
        error(str(exc))
        return 2


def error(message: str) -> None:
    """Print ``error: MESSAGE`` on one line to stderr."""
    print(f"error: {' '.join(message.split())}", file=sys.stderr)


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    run()
