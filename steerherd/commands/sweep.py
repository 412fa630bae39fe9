"""``steerherd sweep CONFIG.toml`` and ``steerherd sweep report DB``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from steerherd.commands._parse import whole_number
from steerherd.types import MAX_SWEEP_INSTANCES

_DB_HELP = "Results store (default: results/sweeps/<config stem>.sqlite)."
_DASK_HELP = "'local' (loopback LocalCluster, 2 workers) or a scheduler tcp://HOST:PORT."
_CHUNK_HELP = "Instances per task (default: 1 for the numpy pool, 8 with --dask, 64 for jax)."
Opt = typer.Option
_I = {"parser": whole_number, "metavar": "INT"}
#: More local processes than this is a typo, not a machine (each one imports numpy).
MAX_WORKERS = 256
#: Instances per Dask task: a task costs ~20 ms of scheduling and pickling, about one solve's
#: time at 1001 x 201, so one instance a task left Dask at 1.5-1.8x the pool's time.
DASK_CHUNK = 8


def sweep(
    target: Annotated[str, typer.Argument(help="CONFIG.toml to run, or 'report'.")],
    db: Annotated[str | None, typer.Argument(help="With 'report': the results store.")] = None,
    store: Annotated[Path | None, Opt("--db", help=_DB_HELP)] = None,
    workers: Annotated[int | None, Opt(help="Local worker processes (default: CPUs).", **_I)
                       ] = None,
    dask: Annotated[str | None, Opt(help=_DASK_HELP)] = None,
    backend: Annotated[str | None, Opt(help="Override the config: numpy | jax.")] = None,
    serial: Annotated[bool, Opt(help="Solve in this process (no pool).")] = False,
    chunk: Annotated[int | None, Opt(help=_CHUNK_HELP, **_I)] = None,
    out: Annotated[Path | None, Opt(help="report: regime map PNG (default: DB.png).")] = None,
    x: Annotated[str | None, Opt(help="report: the map's parameter axis (p, k, alpha, delta, C, "
                                      "prior; default: the one with most values).")] = None,
    limit: Annotated[int | None, Opt(help="report: rows to print.", **_I)] = None,
    where: Annotated[list[str] | None, Opt(help="report: only rows with COLUMN=VALUE, e.g. "
                                           "planner=biased (repeatable).")] = None,
    max_instances: Annotated[int, Opt(help="Refuse a design larger than this.", **_I)
                             ] = MAX_SWEEP_INSTANCES,
) -> None:
    """Run a parameter sweep into a SQLite store (resumable), or report on one.

    `steerherd sweep report --help` shows the report's own options.
    """
    from steerherd.errors import ParameterError

    for flag, value, least in (("--workers", workers, 1), ("--chunk", chunk, 1),
                               ("--limit", limit, 0), ("--max-instances", max_instances, 1)):
        if value is not None and value < least:
            raise ParameterError(f"{flag} must be a whole number >= {least}, got {value}")
    if target == "report":
        if db is None:
            raise ParameterError("sweep report needs the results store: steerherd sweep report DB")
        _report(Path(db), out, x, limit, where)
        return
    if db is not None:
        raise ParameterError(f"unexpected argument {db!r}; the store is given with --db PATH")
    if backend not in (None, "numpy", "jax"):
        raise ParameterError(f"--backend must be numpy or jax, got {backend!r}")
    if workers is not None and workers > MAX_WORKERS:
        raise ParameterError(f"--workers must be <= {MAX_WORKERS}, got {workers}")
    from steerherd.sweep.run import check_dask_address

    check_dask_address(dask)
    _run(Path(target), store, workers, dask, backend, serial, chunk, max_instances)


def _run(config: Path, store_path: Path | None, workers: int | None, dask: str | None,
         backend: str | None, serial: bool, chunk: int | None, max_instances: int) -> None:
    from concurrent.futures import BrokenExecutor

    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from steerherd.sweep import expand, load_config, open_executor, run_sweep
    from steerherd.sweep.store import ResultStore

    cfg = load_config(config)
    backend = backend or cfg.backend
    todo_all = expand(cfg, max_instances=max_instances)
    store_path = store_path or Path("results/sweeps") / f"{config.stem}.sqlite"
    console = Console(stderr=True)
    serial = serial or (backend == "jax" and dask is None and workers is None)
    with ResultStore(store_path, lock=True) as store, \
            open_executor(workers, dask, serial) as executor:
        done = store.done_keys()
        todo = [i for i in todo_all if i["key"] not in done]
        store.record_sweep(cfg.name, cfg.model_dump())
        console.print(f"{len(todo_all)} instances, {len(todo_all) - len(todo)} already stored,"
                      f" {len(todo)} to solve -> {store_path}")
        label = f"{backend}-" + ("dask" if dask else "serial" if serial else "pool")
        with Progress(TextColumn("sweep"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      TimeRemainingColumn(), console=console,
                      disable=not console.is_terminal) as bar:
            task = bar.add_task("solve", total=len(todo))
            try:
                run_sweep(todo, executor, lambda rows: store.add(rows, label),
                          method=cfg.method, backend=backend,
                          chunk=chunk or (64 if backend == "jax" else DASK_CHUNK if dask else 1),
                          progress=lambda n: bar.advance(task, n))
            except BrokenExecutor as exc:  # a worker died (OOM killer, kill -9): a failed run
                typer.echo(f"error: a worker process died ({exc}); {store.count()} instances"
                           f" are stored in {store_path}: run the sweep again to resume",
                           err=True)
                raise typer.Exit(1) from None
        console.print(f"stored {store.count()} instances in {store_path}")


def _report(db: Path, out: Path | None, x: str | None, limit: int | None,
            where: list[str] | None) -> None:
    from steerherd.errors import ParameterError
    from steerherd.files import check_output_file
    from steerherd.sweep.report import (
        MAX_PANELS,
        check_axis,
        draw_regime_map,
        parse_where,
        print_table,
        resolve_axis,
    )
    from steerherd.sweep.store import ResultStore

    if limit is not None and limit < 0:
        raise ParameterError(f"--limit must be a whole number >= 0, got {limit}")
    check_axis(x)  # bad input fails before anything is printed
    selection = parse_where(where)
    png = check_output_file(out or db.with_suffix(".png"), "--out")
    if png.suffix.lower() not in (".png", ".pdf", ".svg"):
        raise ParameterError(f"--out must end in .png, .pdf or .svg, got {str(png)!r}")
    with ResultStore(db, create=False, readonly=True) as store:
        rows = store.rows()
    x = resolve_axis(rows, x, selection)  # before anything is printed
    print_table(rows, limit)
    path, dropped = draw_regime_map(rows, png, x, selection)
    if dropped:
        typer.echo(f"warning: the regime map shows {MAX_PANELS} panels and leaves {dropped} "
                   "out; select panels with --where COLUMN=VALUE (e.g. --where planner=biased)",
                   err=True)
    typer.echo(f"regime map: {path}")


def sweep_report(
    db: Annotated[Path, typer.Argument(metavar="DB", help="The results store (SQLite).")],
    out: Annotated[Path | None, Opt(metavar="PATH",
                                    help="Regime map PNG [default: DB with .png].")] = None,
    x: Annotated[str | None, Opt(metavar="NAME", help="The map's parameter axis: p, k, alpha, "
                                 "delta, C or prior [default: the one with most values].")
                 ] = None,
    limit: Annotated[int | None, Opt(metavar="INT", help="Rows to print [default: all].")
                     ] = None,
    where: Annotated[list[str] | None, Opt(metavar="COLUMN=VALUE", help="Only rows with this "
                                           "value, e.g. planner=biased (repeatable).")] = None,
) -> None:
    """Print a sweep's results table and draw its regime map (at most 12 panels).

    A panel per combination of the varying columns other than --x; when more than 12 exist
    the command says how many it left out, and --where selects the ones to show.
    """
    _report(db, out, x, limit, where)
