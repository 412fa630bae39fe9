"""``steerherd llm run | estimate | report | replay``: language models against the optimum."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Run language models as planner, oracle and agents.",
                  no_args_is_help=True, add_completion=False, rich_markup_mode=None)

_Out = Annotated[Path | None, typer.Option(help="Run directory [default: results/llm/NAME].")]


@app.command("estimate")
def estimate_cmd(config: Annotated[Path, typer.Argument(help="Experiment TOML.")],
                 out: _Out = None) -> None:
    """Pre-flight: exact request count and token range; sends nothing."""
    from steerherd.llm.config import load_config
    from steerherd.llm.runner import STORE_FILE, estimate
    from steerherd.llm.store import RunStore

    cfg = load_config(config)
    run_dir = out or Path("results/llm") / cfg.name
    store = RunStore(run_dir / STORE_FILE) if (run_dir / STORE_FILE).is_file() else None
    for line in estimate(cfg, store).lines():
        typer.echo(line)


@app.command("run")
def run_cmd(config: Annotated[Path, typer.Argument(help="Experiment TOML.")], out: _Out = None,
            backend: Annotated[str | None, typer.Option(
                help="local or openai (overrides the file).")] = None,
            gguf: Annotated[Path | None, typer.Option(
                help="GGUF file for --backend local.")] = None,
            report: Annotated[bool, typer.Option(
                help="Write the report at the end.")] = True) -> None:
    """Run (or resume) an experiment; every call is stored before it is used."""
    from steerherd.llm.config import load_config
    from steerherd.llm.runner import estimate, execute, open_client, open_store

    cfg = load_config(config)
    be = cfg.backend.model_copy(update={k: v for k, v in
                                        (("kind", backend), ("gguf", gguf and str(gguf))) if v})
    cfg = cfg.model_copy(update={"backend": be})
    run_dir = out or Path("results/llm") / cfg.name
    store = open_store(cfg, run_dir)
    est = estimate(cfg, store)
    for line in est.lines():
        typer.echo(line)
    if est.requests > cfg.calls.max_calls:
        typer.echo(f"note: max_calls = {cfg.calls.max_calls} is below the {est.requests} requests;"
                   " the run stops when it is spent (answers kept; raise it and rerun)")
    with open_client(cfg) as client, _progress() as bar:
        summary = execute(cfg, store, client, bar)
    typer.echo(f"units {summary.units} ({summary.units_done_before} already done)  sent "
               f"{summary.sent}  from cache {summary.cached}  {summary.seconds:.1f} s  "
               f"store {summary.store}")
    if report:
        report_cmd(run_dir)


@app.command("report")
def report_cmd(run: Annotated[Path, typer.Argument(help="Run directory.")]) -> None:
    """Write report.md, analysis.json and figures from a stored run (no calls)."""
    from steerherd.llm.report import open_run, write_report

    store, cfg = open_run(run)
    typer.echo(f"wrote {write_report(store, cfg, run)}")


@app.command("replay")
def replay_cmd(run: Annotated[Path, typer.Argument(help="Run directory.")],
               set_: Annotated[list[str] | None, typer.Option(
                   "--set", help="Scoring override, e.g. k=0.3 (fields of [model]).")] = None,
               out: Annotated[Path | None, typer.Option(
                   help="Where to write [default: RUN/replay].")] = None) -> None:
    """Re-score a stored run under new model parameters; sends no calls."""
    from steerherd.errors import ParameterError
    from steerherd.llm.config import ModelConfig
    from steerherd.llm.report import open_run, write_report

    store, cfg = open_run(run)
    changes: dict[str, object] = {}
    for item in set_ or []:
        key, _, value = item.partition("=")
        if key not in ModelConfig.model_fields or not value:
            raise ParameterError(f"--set {item!r}: expected FIELD=VALUE with FIELD in "
                                 f"{sorted(ModelConfig.model_fields)}")
        changes[key] = value
    try:
        model = ModelConfig.model_validate({**cfg.model.model_dump(), **changes})
        for planner in ("altruistic", "biased"):
            model.params(planner, True)
    except ValueError as exc:
        raise ParameterError(f"--set: {' '.join(str(exc).split())}") from None
    typer.echo(f"wrote {write_report(store, cfg, out or run / 'replay', model)}  (no calls sent)")


class _progress:
    """A rich progress bar over units (quiet when not on a terminal)."""

    def __enter__(self):  # type: ignore[no-untyped-def]
        import sys

        from rich.progress import Progress

        self._p = Progress(disable=not sys.stderr.isatty())
        self._p.start()
        self._task = self._p.add_task("units", total=None)
        return self._update

    def _update(self, done: int, total: int, sent: int) -> None:
        self._p.update(self._task, completed=done, total=total,
                       description=f"units (calls sent {sent})")

    def __exit__(self, *exc: object) -> None:
        self._p.stop()
