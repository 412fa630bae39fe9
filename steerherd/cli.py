"""The ``steerherd`` command line.

Each subcommand lives in :mod:`steerherd.commands` and imports numpy, matplotlib and the
solvers inside its handler, so ``steerherd --help`` stays fast. Errors a user can fix
(bad parameters, files, configs) print one line and exit with code 2, without a traceback.
"""

from __future__ import annotations

import sys

import typer

from steerherd.errors import ConvergenceError, SteerherdError

try:  # typer >= 0.20 vendors click; older releases use click itself
    from typer._click.exceptions import ClickException as _TyperClickException
except ImportError:  # pragma: no cover - depends on the installed typer
    _TyperClickException = ()  # type: ignore[assignment,misc]
import click

_CLICK_ERRORS = (click.ClickException, _TyperClickException)
_EXITS = (click.exceptions.Exit, typer.Exit)
_ABORTS = (click.exceptions.Abort, typer.Abort)

app = typer.Typer(
    name="steerherd",
    help="Controlled sequential social learning: solve, simulate, verify, run LLMs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Controlled sequential social learning: solve, simulate, verify, run LLMs."""


def _register() -> None:
    """Attach the subcommands (once); each module imports its heavy libraries lazily."""
    if app.registered_commands:
        return
    from steerherd.commands import figures, llm, simulate, solve, sweep, verify

    app.command("solve")(solve.solve)
    app.command("verify")(verify.verify)
    app.command("simulate")(simulate.simulate)
    app.command("sweep")(sweep.sweep)
    app.add_typer(llm.app, name="llm")
    app.command("figures")(figures.figures)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 1 a failed run, 2 bad input)."""
    _register()
    command = typer.main.get_command(app)
    args = sys.argv[1:] if argv is None else argv
    try:
        result = command.main(args=args, prog_name="steerherd", standalone_mode=False)
    except _CLICK_ERRORS as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # the help is already printed
            return 0
        _error(exc.format_message())
        return 2
    except _EXITS as exc:
        return int(getattr(exc, "exit_code", 0))
    except _ABORTS:
        _error("aborted")
        return 130
    except ConvergenceError as exc:
        _error(str(exc))
        return 1
    except SteerherdError as exc:
        _error(str(exc))
        return 2
    return int(result) if isinstance(result, int) else 0


def _error(message: str) -> None:
    print(f"error: {_one_line(message)}", file=sys.stderr)


def _one_line(message: str) -> str:
    return " ".join(message.split())


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    run()
