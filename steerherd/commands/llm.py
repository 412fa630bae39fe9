"""``steerherd llm run | estimate | report | replay``: language models against the optimum.

Exit codes: 0 done; 1 a failed run (the endpoint failed after retries, the budget is spent, or
units ended without a usable answer and ``--allow-failures`` was not given); 2 bad input
(nothing sent, nothing written); 130 interrupted (SIGINT/SIGTERM: no new call is sent, calls
in flight finish within the client timeout, everything answered is stored; a second signal
exits at once). The last line says which.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(help="Run language models as planner, oracle and agents.",
                  no_args_is_help=True, add_completion=False, rich_markup_mode=None)

_Out = Annotated[Path | None, typer.Option(help="Run directory [default: results/llm/NAME].")]
_Backend = Annotated[str | None, typer.Option(help="local or openai (overrides the file).")]
_Gguf = Annotated[Path | None, typer.Option(help="GGUF file for --backend local.")]
_Prompts = Annotated[Path | None, typer.Option(
    help="A prompt directory (agent.txt, oracle.txt, planner.txt) instead of the package's.")]
_MaxReq = Annotated[int | None, typer.Option(
    help="Raise the limit on requests per experiment [default: 200000].", min=1)]
_MaxSteps = Annotated[int | None, typer.Option(
    help="Raise the limit on simulated sequential steps [default: 5000000].", min=1)]
_KeyEnv = Annotated[bool, typer.Option(
    "--allow-key-env", help="Accept an api_key_env that does not end in _API_KEY.")]


def _load(config: Path, backend: str | None, gguf: Path | None, prompts: Path | None,
          max_requests: int | None, max_steps: int | None,
          allow_key_env: bool) -> tuple[Any, dict[str, Any]]:
    """The validated config and the overrides given on the command line (recorded)."""
    from steerherd.llm.config import MAX_REQUESTS, MAX_STEPS, load_config
    from steerherd.llm.runner import check_environment

    backend_over = {k: v for k, v in (("kind", backend), ("gguf", gguf and str(gguf))) if v}
    overrides: dict[str, Any] = {"backend": backend_over} if backend_over else {}
    cfg = load_config(config, overrides, max_requests or MAX_REQUESTS, max_steps or MAX_STEPS,
                      prompts)
    for _, cell in cfg.grid() or [("", cfg)]:
        check_environment(cell, allow_key_env)
    shown = dict(overrides)
    for name, value in (("prompts", prompts and str(prompts)), ("max_requests", max_requests),
                        ("max_steps", max_steps), ("allow_key_env", allow_key_env or None)):
        if value is not None:
            shown[name] = value
    return cfg, shown


@app.command("estimate")
def estimate_cmd(config: Annotated[Path, typer.Argument(help="Experiment TOML.")],
                 out: _Out = None, backend: _Backend = None, gguf: _Gguf = None,
                 prompts: _Prompts = None, max_requests: _MaxReq = None,
                 max_steps: _MaxSteps = None, allow_key_env: _KeyEnv = False) -> None:
    """Pre-flight: calls (exact or a bound, it says which), tokens and cost; sends nothing.

    It refuses exactly what ``llm run`` refuses (same options, same checks) and writes nothing.
    """
    from steerherd.llm.identity import run_identity
    from steerherd.llm.runner import STORE_FILE, estimate
    from steerherd.llm.store import RunStore

    cfg, _ = _load(config, backend, gguf, prompts, max_requests, max_steps, allow_key_env)
    run_dir = out or Path("results/llm") / cfg.name
    _check_out(run_dir)
    cells = cfg.grid() or [("", cfg)]
    for label, cell in cells:
        path = (run_dir / label if label else run_dir) / STORE_FILE
        store = RunStore(path, readonly=True) if path.exists() else None
        if store is not None:
            stored = store.get_meta("identity")
            if stored is not None and stored != run_identity(cell):
                from steerherd.errors import ParameterError

                raise ParameterError(f"{path.parent} holds a run of another configuration; "
                                     "`llm run` would refuse it: use a new --out directory")
        if label:
            typer.echo(f"[{label}]")
        for line in estimate(cell, store).lines():
            typer.echo(line)


@app.command("run")
def run_cmd(config: Annotated[Path, typer.Argument(help="Experiment TOML.")], out: _Out = None,
            backend: _Backend = None, gguf: _Gguf = None, prompts: _Prompts = None,
            max_requests: _MaxReq = None, max_steps: _MaxSteps = None,
            allow_key_env: _KeyEnv = False,
            cache: Annotated[bool, typer.Option(
                help="Use the shared response cache (--no-cache: bypass it).")] = True,
            cache_dir: Annotated[Path | None, typer.Option(
                help="Shared cache directory [default: $STEERHERD_CACHE_DIR or the user "
                     "cache directory].")] = None,
            allow_failures: Annotated[bool, typer.Option(
                help="Exit 0 even if some units got no usable answer.")] = False,
            report: Annotated[bool, typer.Option(
                help="Write the report at the end.")] = True) -> None:
    """Run (or resume) an experiment; every call is stored before it is used.

    With ``[backend] models = [...]`` each model gets its own run in RUN/<model>/ and a grid
    report (RUN/grid.md, RUN/grid.json) compares the cells.
    """
    from steerherd.llm.cache import ResponseCache

    cfg, overrides = _load(config, backend, gguf, prompts, max_requests, max_steps,
                           allow_key_env)
    if cache and cache_dir is not None and cache_dir.exists() and not cache_dir.is_dir():
        from steerherd.errors import ParameterError

        raise ParameterError(f"--cache-dir {cache_dir} is a file, not a directory")
    if cache_dir is not None:
        overrides["cache_dir"] = str(cache_dir)
    if not cache:
        overrides["cache"] = False
    run_dir = out or Path("results/llm") / cfg.name
    _check_out(run_dir)
    # the shared cache is opened once a store is open (a refused run writes nothing)
    shared: list[Any] = [lambda: ResponseCache(cache_dir)] if cache else [None]
    cells = cfg.grid()
    failed = 0
    for label, cell in cells or [("", cfg)]:
        if label:
            typer.echo(f"[{label}]")
        summary = _run_one(cell, run_dir / label if label else run_dir, overrides, shared,
                           allow_key_env, report)
        failed += summary.failed_units
        units = summary.units
    if cells:
        from steerherd.llm.report import write_grid_report

        typer.echo(f"wrote {write_grid_report(run_dir, [label for label, _ in cells])}")
    if failed:
        message = (f"{failed} of {units * max(1, len(cells))} units failed (no usable answer "
                   "after every parse retry; see the report)")
        if not allow_failures:
            _fail(1, message + "; pass --allow-failures to accept")
        typer.echo(message + " (accepted: --allow-failures)")


def _run_one(cfg: Any, run_dir: Path, overrides: dict[str, Any], cache: list[Any],
             allow_key_env: bool, report: bool) -> Any:
    """One run (one cell of a grid): store, estimate, clients, units, report.

    ``cache`` holds the shared cache, or a function making it (called once a store is open).
    """
    from steerherd.llm.identity import record_session
    from steerherd.llm.runner import estimate, execute, open_client, open_store
    from steerherd.llm.types import BudgetExceeded, Interrupted, LLMError

    store = open_store(cfg, run_dir)
    if callable(cache[0]):
        try:
            cache[0] = cache[0]()
        except BaseException:
            store.close()
            raise
    shared = cache[0]
    record_session(store, overrides)
    est = estimate(cfg, store)
    for line in est.lines():
        typer.echo(line)
    if est.requests > cfg.calls.max_calls:
        typer.echo(f"note: max_calls = {cfg.calls.max_calls} is below the {est.requests} requests;"
                   " the run stops when it is spent (answers kept; raise it and rerun)")
    stop = threading.Event()
    timeout = max(cfg.role_backend(r).timeout_s for r in ("planner", "oracle", "agent"))
    try:
        with _signals(stop, timeout), open_client(cfg, allow_key_env) as clients, \
                _progress() as bar:
            summary = execute(cfg, store, clients, bar, cache=shared, stop=stop)
    except Interrupted:
        n = store.count_calls()
        store.close()
        print(f"stopped: no new call sent; {n} answers stored; run the same command to resume "
              "(nothing answered is asked again)", file=sys.stderr)
        raise typer.Exit(130) from None  # the CLI ends with "error: interrupted"
    except (LLMError, BudgetExceeded) as exc:
        store.close()
        _fail(1, str(exc))
    typer.echo(f"units {summary.units} ({summary.units_done_before} already done)  sent "
               f"{summary.sent}  from cache {summary.cached} (shared {summary.from_shared_cache})"
               f"  failed attempts {summary.failed_attempts}  {summary.seconds:.1f} s  "
               f"store {summary.store}")
    store.close()
    if report:
        report_cmd(run_dir)
    return summary


def _check_out(run_dir: Path) -> None:
    """What ``llm run`` would refuse about the run directory, without creating it."""
    from steerherd.errors import ParameterError

    if run_dir.exists() and not run_dir.is_dir():
        raise ParameterError(f"{run_dir} is a file, not a run directory (--out)")
    parent = next((p for p in [run_dir, *run_dir.parents] if p.exists()), Path("."))
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ParameterError(f"cannot write the run directory {run_dir} (permission denied)")


def _fail(code: int, message: str) -> None:
    print(f"error: {' '.join(message.split())}", file=sys.stderr)
    raise typer.Exit(code)


@contextmanager
def _signals(stop: threading.Event, timeout: float) -> Iterator[None]:
    """First SIGINT/SIGTERM: stop sending (in-flight calls finish); the second: exit at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    seen = [0]

    def handler(signum: int, frame: object) -> None:
        seen[0] += 1
        if seen[0] > 1:
            os._exit(130)  # every answer so far is committed; nothing else to save
        stop.set()
        print(f"stopping: no new calls; waiting up to {timeout:.0f} s for calls in flight "
              "(signal again to exit now)", file=sys.stderr, flush=True)

    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


@app.command("report")
def report_cmd(run: Annotated[Path, typer.Argument(help="Run directory.")]) -> None:
    """Write report.md, analysis.json and figures from a stored run (no calls; read-only)."""
    from steerherd.llm.report import open_run, write_report

    store, cfg = open_run(run)
    typer.echo(f"wrote {write_report(store, cfg, run)}")


@app.command("replay")
def replay_cmd(run: Annotated[Path, typer.Argument(help="Run directory.")],
               set_: Annotated[list[str] | None, typer.Option(
                   "--set", help="Analysis override, e.g. close_percent=5. Parameters stated "
                   "in the stored prompts (fields of [model]) cannot be changed.")] = None,
               out: Annotated[Path | None, typer.Option(
                   help="Where to write [default: RUN/replay].")] = None) -> None:
    """Re-score a stored run (analysis settings only); sends no calls."""
    from steerherd.llm.replay import parse_overrides
    from steerherd.llm.report import open_run, write_report

    store, cfg = open_run(run)
    settings = parse_overrides(store, cfg, set_ or [])
    path = write_report(store, cfg, out or run / "replay", settings=settings)
    typer.echo(f"wrote {path}  (no calls sent)")


class _progress:
    """A rich progress bar over units (quiet when not on a terminal)."""

    def __enter__(self):  # type: ignore[no-untyped-def]
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
