"""Sweep execution: instances solved in chunks on any ``concurrent.futures.Executor``.

Instances (from :func:`steerherd.sweep.config.expand`) are solved in chunks by
:func:`solve_chunk` (a plain function of this module, so a process pool or a Dask worker can
import it without pydantic or the CLI) and summarised (thresholds, regimes, V at the prior,
certificate, time); the caller stores each summary as it arrives
(:mod:`steerherd.sweep.store`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from contextlib import contextmanager
from typing import Any

from steerherd.errors import ParameterError
from steerherd.sweep.procs import die_with_parent, stop_pool


def summarise(sol: Any) -> dict[str, Any]:
    """What the store keeps of a Solution (no per-node arrays)."""
    cert = sol.certificate
    return {
        "thresholds": {k: (None if t is None else t.to_dict()) for k, t in sol.thresholds.items()},
        "regimes": [r.to_dict() for r in sol.regimes],
        "value_at_prior": float(sol.value(sol.params.prior)),
        "certificate": {"converged": cert.converged, "method": cert.method,
                        "iterations": cert.iterations, "bellman_residual": cert.bellman_residual,
                        "gap": cert.gap, "epsilon": cert.epsilon},
        "nodes": int(sol.grid.size),
        "seconds": float(sol.seconds),
    }


def solve_chunk(instances: Sequence[dict[str, Any]], method: str, backend: str
                ) -> list[dict[str, Any]]:
    """Solve instances and return store rows (runs in a worker: a pure function).

    The JAX backend solves the chunk as one vmapped batch (grouped by grid); finite
    horizons always go to numpy.
    """
    from steerherd.api import solve
    from steerherd.dp.solve import SolverOptions
    from steerherd.model import Params

    params = [Params.from_dict(i["params"]) for i in instances]
    if method == "fast":  # a worker solves many: the compiled kernels pay for their import
        from steerherd.dp.fast_kernel import warm

        warm()
    sols: dict[int, Any] = {}
    if backend == "jax":
        from steerherd.dp.jax_backend import solve_batch
        from steerherd.solution import Solution

        by_grid: dict[tuple[int, int, float], list[int]] = {}
        for j, inst in enumerate(instances):
            if params[j].horizon is None:
                g = inst["grid"]
                by_grid.setdefault((g["beliefs"], g["precisions"], g["epsilon"]), []).append(j)
        for (nb, nq, eps), idx in by_grid.items():
            out = solve_batch([params[j] for j in idx], beliefs=nb, precisions=nq,
                              method="vi" if method == "vi" else "mpi",
                              options=SolverOptions(epsilon=eps), auto_steps=True)
            sols.update(zip(idx, (Solution(**f) for f in out), strict=True))
    for j, inst in enumerate(instances):
        if j not in sols:
            g = inst["grid"]
            sols[j] = solve(params[j], beliefs=g["beliefs"], precisions=g["precisions"],
                                      method=method, options=SolverOptions(epsilon=g["epsilon"]))
    return [{**inst, "summary": summarise(sols[j]), "seconds": sols[j].seconds}
            for j, inst in enumerate(instances)]


def run_sweep(
    instances: Sequence[dict[str, Any]],
    executor: Executor,
    on_rows: Callable[[list[dict[str, Any]]], object],
    *,
    method: str = "fast",
    backend: str = "numpy",
    chunk: int = 1,
    in_flight: int = 8,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Submit instances in chunks to ``executor``, handing each finished chunk to ``on_rows``.

    At most ``in_flight`` chunks are submitted at a time, so an interruption loses at most
    those. Returns the number of instances solved.
    """
    if backend == "jax":
        # A vmapped loop runs until its slowest instance converges: batch like with like.
        instances = sorted(instances, key=_batch_order)
    chunks = [list(instances[i:i + chunk]) for i in range(0, len(instances), chunk)]
    pending: set[Future[list[dict[str, Any]]]] = set()
    solved = 0
    for part in chunks:
        pending.add(executor.submit(solve_chunk, part, method, backend))
        if len(pending) >= in_flight:
            solved += _drain(pending, on_rows, progress, FIRST_COMPLETED)
    while pending:
        solved += _drain(pending, on_rows, progress, FIRST_COMPLETED)
    return solved


def _batch_order(inst: dict[str, Any]) -> tuple[Any, ...]:
    g, par = inst["grid"], inst["params"]
    return (g["beliefs"], g["precisions"], par["horizon"] is not None, par["p"] == 0.5,
            par["delta"])


def _drain(pending: set[Future[Any]], on_rows: Callable[[list[dict[str, Any]]], object],
           progress: Callable[[int], None] | None, when: str) -> int:
    done, _ = wait(pending, return_when=when)
    n = 0
    for fut in done:
        pending.discard(fut)
        rows = fut.result()
        on_rows(rows)
        n += len(rows)
        if progress is not None:
            progress(len(rows))
    return n


class SerialExecutor(Executor):
    """Runs each task at submit time in this process (the plain loop; JAX's batch path)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Run ``fn(*args, **kwargs)`` now; return a finished future with its result or error."""
        fut: Future[Any] = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except Exception as exc:  # handed to the caller through the future
            fut.set_exception(exc)
        return fut


#: How long to wait for an existing Dask scheduler before giving up.
DASK_CONNECT_TIMEOUT_S = 5


def check_dask_address(dask: str | None) -> None:
    """``None``, ``"local"`` or a scheduler address ``tcp://HOST:PORT``, or ParameterError."""
    if dask not in (None, "local") and not str(dask).startswith(("tcp://", "tls://",
                                                                   "inproc://")):
        raise ParameterError(f"--dask must be 'local' or a scheduler address tcp://HOST:PORT,"
                             f" got {dask!r}")


@contextmanager
def open_executor(workers: int | None = None, dask: str | None = None,
                  serial: bool = False) -> Iterator[Executor]:
    """The executor for a sweep: serial, a local process pool, or Dask.

    Args:
        workers: processes for the local pool (default: the CPU count).
        dask: ``"local"`` for a loopback LocalCluster of 2 worker processes, or a scheduler
            address ``tcp://HOST:PORT`` to join.
        serial: run in this process (the JAX batch path, or debugging).

    Raises:
        ParameterError: if Dask is not installed or the scheduler cannot be reached.
    """
    if serial:
        yield SerialExecutor()
        return
    if dask is None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # spawn, not fork: a forked child of a process that has started JAX (or any thread)
        # can deadlock; forkserver needs a Unix socket, which sandboxes may refuse.
        ctx = multiprocessing.get_context("spawn")
        # Workers die with this process (kill -9 included): no orphans (sweep/procs.py).
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx,
                                   initializer=die_with_parent, initargs=(os.getpid(),))
        try:
            yield pool
        except BaseException:  # Ctrl-C or an error: stop now, not after the chunks in flight
            stop_pool(pool)
            raise
        pool.shutdown(wait=True)
        return
    try:
        from dask import config as dask_config
        from dask.distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - depends on the install
        raise ParameterError("--dask needs Dask: install steerherd[dask]") from None
    if dask == "local":
        # No dashboard: the scheduler's HTTP server (which Dask always starts) gets no
        # routes and an ephemeral loopback port instead of the dashboard on :8787.
        # Dask's workers start with MALLOC_TRIM_THRESHOLD_=65536, which also freezes glibc's
        # mmap threshold: every array over 128 KiB is then a fresh mmap (and page faults).
        # Unset it for the workers we spawn (None unsets it in pre-spawn-environ).
        with dask_config.set({"distributed.scheduler.http.routes": [],
                              "distributed.worker.http.routes": [],
                              "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_":
                              None}), \
                LocalCluster(host="127.0.0.1", processes=True, n_workers=2,
                             threads_per_worker=1, dashboard_address="127.0.0.1:0",
                             scheduler_kwargs={"dashboard": False},
                             worker_dashboard_address=None) as cluster, \
                Client(cluster) as client:
            yield client.get_executor()
        return
    check_dask_address(dask)
    try:
        client = Client(dask, timeout=DASK_CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError) as exc:
        raise ParameterError(f"cannot reach the Dask scheduler at {dask} within"
                             f" {DASK_CONNECT_TIMEOUT_S} s ({type(exc).__name__})") from None
    with client:
        yield client.get_executor()
