"""The ``steerherd`` command line.

Each subcommand lives in :mod:`steerherd.commands` and imports numpy, matplotlib and the
solvers inside its handler, so ``steerherd --help`` stays fast. Errors a user can fix
(bad parameters, files, configs) print one line and exit with code 2, without a traceback.
"""

from __future__ import annotations

import importlib
import sys

import typer

from steerherd.errors import ConvergenceError, SteerherdError


def _exception_types() -> tuple[tuple[type[BaseException], ...], ...]:
    """(usage errors, exits, aborts) of whichever click this typer uses.

    Recent typer releases vendor click (``typer._click``) and do not install it; older ones
    use click itself. Either may be present, so both are looked up and neither is required.
    """
    errors: list[type[BaseException]] = []
    exits: list[type[BaseException]] = [typer.Exit]
    aborts: list[type[BaseException]] = [typer.Abort]
    for name in ("typer._click.exceptions", "click.exceptions"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        errors.append(module.ClickException)
        exits += [module.Exit] if hasattr(module, "Exit") else []
        aborts += [module.Abort] if hasattr(module, "Abort") else []
    return tuple(errors), tuple(exits), tuple(aborts)


_CLICK_ERRORS, _EXITS, _ABORTS = _exception_types()

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
    """Run the CLI; returns the exit code (0 ok, 1 a failed run, 2 bad input, 130 Ctrl-C)."""
    _register()
    command = typer.main.get_command(app)
    args = sys.argv[1:] if argv is None else argv
    try:
        result = command.main(args=args, prog_name="steerherd", standalone_mode=False)
    except _CLICK_ERRORS as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # the help is already printed
            return 0
        _error(getattr(exc, "format_message", exc.__str__)())
        return 2
    except _EXITS as exc:
        return int(getattr(exc, "exit_code", 0))
    except _ABORTS + (KeyboardInterrupt,):
        _error("interrupted")
        return 130
    except ConvergenceError as exc:
        _error(str(exc))
        return 1
    except SteerherdError as exc:
        _error(str(exc))
        return 2
    except ImportError as exc:
        if "steerherd[" not in str(exc):  # not a missing optional extra: a real bug
            raise
        _error(str(exc))
        return 2
    code = int(result) if isinstance(result, int) else 0
    if code == 130:  # typer turns Ctrl-C into Exit(130), silently
        _error("interrupted")
    return code


def _error(message: str) -> None:
    print(f"error: {_one_line(message)}", file=sys.stderr)


def _one_line(message: str) -> str:
    return " ".join(message.split())


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    run()
