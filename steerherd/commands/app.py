"""The typer application: every subcommand, its options, help and usage errors.

:mod:`steerherd.cli` hands a command line here unless the quick ``solve`` parser took it.
Each subcommand lives in its own module of :mod:`steerherd.commands` and imports numpy,
matplotlib and the solvers inside its handler, so ``steerherd --help`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

import typer

from steerherd.errors import ParameterError


def _exception_types() -> tuple[tuple[type[BaseException], ...], ...]:
    """(usage errors, exits, aborts) of whichever click this typer uses.

    Recent typer releases vendor click (``typer._click``) and do not install it; older ones
    use click itself. The vendored one is used where it exists (click itself, installed for
    another package, is then not imported: it raises nothing here), else click.
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
        break
    return tuple(errors), tuple(exits), tuple(aborts)


_CLICK_ERRORS, _EXITS, _ABORTS = _exception_types()

app = typer.Typer(
    name="steerherd",
    help="Controlled sequential social learning: solve, simulate, verify, run LLMs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts are plain: every [bracket] is printed as written
    epilog="Example: steerherd solve --planner biased --k 0.5 --delta 0.9 (then see "
           "steerherd COMMAND --help)",
)


def _version(value: bool) -> None:
    if value:
        from steerherd import __version__

        typer.echo(f"steerherd {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Controlled sequential social learning: solve, simulate, verify, run LLMs."""


def uniform_metavars(command: Any) -> None:
    """One metavar style for every option (FLOAT, INT, PATH, TEXT) and every default shown.

    typer shows ``<float>``-style types where a command sets no metavar; this walks the
    command tree once and sets the upper-case form (choices read a|b, flags show nothing).
    """
    for param in getattr(command, "params", []):
        if (getattr(param, "help", None) is not None and param.default is None
                and not param.required and "default" not in param.help):
            param.help += " [default: not set]"  # every default shown, None included
        if getattr(param, "is_flag", False) or getattr(param, "count", False):
            param.metavar = param.metavar or ""
            continue
        if getattr(param, "param_type_name", "") == "argument":
            # An argument is shown by its upper-case name alone (typer would add "<path>").
            param.metavar = param.metavar or (param.name or "value").upper()
            param.display_type_rich = lambda ctx: None
            continue
        if param.metavar is None:
            shown = param.display_type(None) if hasattr(param, "display_type") else None
            if isinstance(shown, str) and "|" in shown:  # choices: a|b, without brackets
                param.metavar = shown.strip("<>")
            elif isinstance(shown, str):
                word = shown.strip("<>").removeprefix("list[").removesuffix("]")
                param.metavar = {"str": "TEXT", "bool": ""}.get(word, word.upper())
    for sub in getattr(command, "commands", {}).values():
        uniform_metavars(sub)


#: The subcommands, in the order ``steerherd --help`` lists them: name → (module, function).
COMMANDS = {
    "solve": ("solve", "solve"),
    "verify": ("verify", "verify"),
    "simulate": ("simulate", "simulate"),
    "sweep": ("sweep", "sweep"),
    "figures": ("figures", "figures"),
    "sweep-report": ("sweep", "sweep_report"),
    "llm": ("llm", "app"),
}


def _register(args: list[str]) -> None:
    """Attach the subcommands that this command line needs, in the listed order.

    ``steerherd solve ...`` needs only ``solve``: typer builds every registered command's
    options (a pydantic adapter each) before it parses anything, so the others are left out
    then. Anything else (no command, a global option, a name that is not a command) gets
    all of them, so the group's help and its "No such command" error are unchanged.
    """
    wanted = [args[0]] if args and args[0] in COMMANDS else list(COMMANDS)
    app.registered_commands.clear()
    app.registered_groups.clear()
    for name in wanted:
        module_name, attr = COMMANDS[name]
        func = getattr(importlib.import_module(f"steerherd.commands.{module_name}"), attr)
        if name == "llm":
            app.add_typer(func, name="llm", epilog=EXAMPLES["llm"])
            for sub in func.registered_commands:
                sub.epilog = EXAMPLES.get(f"llm {sub.name}")
        elif name == "sweep-report":  # reached as "sweep report" (see main)
            app.command(name, hidden=True, epilog=EXAMPLES["sweep report"])(func)
        else:
            app.command(name, epilog=EXAMPLES[name])(func)


#: An example for each command's help (shown under its options).
EXAMPLES = {
    "solve": "Example: steerherd solve --planner biased --k 0.5 --delta 0.9 --out results/b",
    "verify": "Example: steerherd verify --instances 100",
    "simulate": "Example: steerherd simulate --runs 2000 --agents 50 --out results/sim",
    "sweep": "Example: steerherd sweep sims/sweep_example.toml, then steerherd sweep report "
             "results/sweeps/sweep_example.sqlite",
    "sweep report": "Example: steerherd sweep report results/sweeps/sweep_example.sqlite "
                    "--x delta --where planner=biased",
    "figures": "Example: steerherd figures --quick (CI sizes); steerherd figures --config "
               "my.toml (your parameters; copy paper_figures/figures.toml)",
    "llm": "Example: steerherd llm run sims/llm_quick.toml",
    "llm estimate": "Example: steerherd llm estimate sims/llm_paper.toml",
    "llm run": "Example: steerherd llm run sims/llm_quick.toml --out results/llm/quick",
    "llm report": "Example: steerherd llm report results/llm/llm_quick",
    "llm replay": "Example: steerherd llm replay results/llm/llm_quick --set close_percent=5",
}


def run_typer(args: list[str]) -> int:
    """Parse ``args`` with typer and run the command; returns the exit code.

    ``--help`` and ``--version`` give 0. A usage error is raised as a ParameterError and a
    Ctrl-C as KeyboardInterrupt, so that :func:`steerherd.cli.main` reports them as it
    reports the errors that steerherd raises (bad values, files, non-convergence), which
    pass through.
    """
    if args[:2] == ["sweep", "report"]:  # the report has its own options and help
        args = ["sweep-report", *args[2:]]
    _register(args)
    command = typer.main.get_command(app)
    uniform_metavars(command)
    try:
        result = command.main(args=args, prog_name="steerherd", standalone_mode=False)
    except _CLICK_ERRORS as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # the help is already printed
            return 0
        raise ParameterError(getattr(exc, "format_message", exc.__str__)()) from None
    except _EXITS as exc:
        return int(getattr(exc, "exit_code", 0))
    except _ABORTS:
        raise KeyboardInterrupt from None
    code = int(result) if isinstance(result, int) else 0
    if code == 130:  # typer turns Ctrl-C into Exit(130), silently
        raise KeyboardInterrupt
    return code
