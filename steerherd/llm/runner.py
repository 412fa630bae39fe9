"""Run an experiment: pre-flight estimate, backend, units in a thread pool, the run store.

A run lives in one directory: ``run.sqlite`` (every call and every result) and, after
``steerherd llm report``, ``report.md`` and its figures. Running the same configuration into
the same directory resumes it.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from steerherd.errors import ParameterError
from steerherd.llm.cache import ResponseCache
from steerherd.llm.caller import Caller
from steerherd.llm.config import ROLES, ExperimentConfig
from steerherd.llm.estimate import Estimate, estimate
from steerherd.llm.experiments import Unit, belief_units, policy_units
from steerherd.llm.identity import check_identity, check_served
from steerherd.llm.lock import DirLock
from steerherd.llm.sequential import sequential_units
from steerherd.llm.store import RunStore, check_store_file
from steerherd.llm.types import ChatClient, Interrupted

STORE_FILE = "run.sqlite"
__all__ = ["STORE_FILE", "Estimate", "RunSummary", "all_units", "estimate", "execute",
           "open_client", "open_store"]


def all_units(cfg: ExperimentConfig) -> list[Unit]:
    """Every unit of work the configuration asks for, in a fixed order."""
    units: list[Unit] = []
    if cfg.beliefs is not None:
        units += belief_units(cfg)
    if cfg.policy is not None:
        units += policy_units(cfg)
    if cfg.sequential is not None:
        units += sequential_units(cfg)
    return units


@contextmanager
def open_client(cfg: ExperimentConfig, allow_key_env: bool = False,
                ) -> Iterator[dict[str, ChatClient]]:
    """One client per role (roles on the same backend share one).

    ``local`` backends start (and at exit stop) one built-in server per GGUF file.

    Raises:
        ParameterError: a remote backend lacks ``base_url``/``model``, or its key is refused.
    """
    from steerherd.llm.client import OpenAIChat
    from steerherd.llm.ratelimit import limiter_for

    with ExitStack() as stack:
        made: dict[str, ChatClient] = {}
        servers: dict[str | None, Any] = {}
        clients: dict[str, ChatClient] = {}
        for role in ROLES:
            be = cfg.role_backend(role)
            key = json.dumps(be.model_dump(), sort_keys=True)
            if key not in made:
                if be.kind == "local":
                    from steerherd.llm.local import local_server

                    if be.gguf not in servers:
                        servers[be.gguf] = stack.enter_context(local_server(
                            be.gguf, n_ctx=be.n_ctx, threads=be.threads,
                            parallel=cfg.concurrency()))
                    ep = servers[be.gguf]
                    client = OpenAIChat(ep.base_url, ep.model, timeout=be.timeout_s,
                                        max_retries=be.max_retries, structured=be.structured,
                                        endpoint=ep.endpoint)
                else:
                    if not be.base_url or not be.model:
                        raise ParameterError(f"the {role}'s backend (kind = 'openai') needs "
                                             "base_url and model")
                    client = OpenAIChat(be.base_url, be.model, api_key_env=be.api_key_env,
                                        timeout=be.timeout_s, max_retries=be.max_retries,
                                        structured=be.structured, allow_key_env=allow_key_env)
                client.limiter = limiter_for(  # type: ignore[attr-defined]
                    client.endpoint, be.requests_per_minute, be.tokens_per_minute)
                made[key] = client
            clients[role] = made[key]
        yield clients


def open_store(cfg: ExperimentConfig, out: Path) -> RunStore:
    """The run's store, locked for this process; refuses a run of another experiment.

    The store file is checked before the lock is taken or anything is written: an empty,
    corrupt or foreign file is refused and left as it was.

    Raises:
        ParameterError: another writer holds the directory, the file is not a usable run
            store, or it holds a run whose identity differs (one line naming what).
    """
    path = Path(out) / STORE_FILE
    check_store_file(path)
    lock = DirLock(Path(out))
    try:
        store = RunStore(path)
    except BaseException:
        lock.release()
        raise
    store.lock = lock
    try:
        check_identity(store, cfg, Path(out))
    except BaseException:
        store.close()
        raise
    return store


@dataclass(frozen=True)
class RunSummary:
    """What one invocation did."""

    units: int
    units_done_before: int
    sent: int
    cached: int
    seconds: float
    store: str
    failed_units: int = 0        # units recorded without a usable answer (all runs so far)
    failed_attempts: int = 0     # HTTP attempts of this session that failed (and were retried)
    from_shared_cache: int = 0   # answers taken from the shared response cache


def execute(cfg: ExperimentConfig, store: RunStore,
            client: ChatClient | dict[str, ChatClient] | None,
            progress: Callable[[int, int, int], None] | None = None,
            cache: ResponseCache | None = None,
            stop: threading.Event | None = None) -> RunSummary:
    """Run every unit not yet recorded; each unit's record is written once, when it ends.

    Args:
        cfg: the experiment's configuration.
        store: the run store; units already recorded there are skipped.
        client: one backend for every role, a mapping role → backend, or None (replay).
        progress: called as ``progress(done, total, sent)`` after each unit.
        cache: the shared response cache, or None.
        stop: set it (e.g. from a signal handler) to stop sending; in-flight calls finish,
            then :class:`~steerherd.llm.types.Interrupted` is raised.

    Raises:
        ParameterError: a client serves another model than the stored run's.
        LLMError, BudgetExceeded, Interrupted: the run stopped; everything answered is stored.
    """
    start = time.perf_counter()
    clients = None if client is None else client if isinstance(client, dict) else {
        r: client for r in ROLES}
    if clients is not None:
        check_served(store, clients, store.path.parent)
        store.set_meta("endpoint", clients["agent"].endpoint)
        store.set_meta("model", clients["agent"].model)
    store.set_meta("prompt_version", cfg.prompt_version)
    stop = stop or threading.Event()
    caller = Caller(store, clients, cfg.prompt_version, cfg.calls.max_parse_retries,
                    cfg.calls.max_calls, cfg.concurrency(), cache=cache, stop=stop)
    units = all_units(cfg)
    todo = [u for u in units if not store.has_record(u.experiment, u.item)]
    done = len(units) - len(todo)
    if progress is not None:
        progress(done, len(units), 0)

    first_error: list[BaseException] = []

    def work(u: Unit) -> None:
        if stop.is_set():
            raise Interrupted("interrupted before the unit started")
        try:
            store.add_record(u.experiment, u.item, u.run(caller))
        except BaseException as exc:
            if not isinstance(exc, Interrupted) and not first_error:
                first_error.append(exc)  # the cause; the other units stop because of it
            stop.set()  # units in flight send nothing new; their answers so far are stored
            raise

    # two phases: units that use the belief fit start once every belief unit is recorded
    for phase in ([u for u in todo if not u.needs_beliefs], [u for u in todo if u.needs_beliefs]):
        with ThreadPoolExecutor(max_workers=cfg.concurrency()) as pool:
            futures = [pool.submit(work, u) for u in phase]
            try:
                for fut in futures:
                    fut.result()  # re-raises a failure (budget, endpoint down, signal)
                    done += 1
                    if progress is not None:
                        progress(done, len(units), caller.sent)
            except BaseException:
                stop.set()
                for f in futures:
                    f.cancel()  # units not started stay unrecorded; a rerun resumes them
                pool.shutdown(wait=True)
                if first_error:
                    raise first_error[0] from None
                raise
    failed = sum(not r.get("ok", True) for e in ("beliefs", "policy", "sequential")
                 for r in store.records(e))
    return RunSummary(len(units), len(units) - len(todo), caller.sent, caller.cached,
                      time.perf_counter() - start, str(store.path), failed,
                      caller.failed_attempts, caller.from_shared)


def check_environment(cfg: ExperimentConfig, allow_key_env: bool = False) -> None:
    """Check what each role's backend needs, before a store is opened or a call is sent.

    Remote roles: ``base_url`` and ``model`` set, a key variable whose name is accepted
    (:func:`~steerherd.llm.client.check_key_env`) and set unless the endpoint is loopback.
    Local roles: the ``[local]`` extra installed and the GGUF file present and a GGUF.

    Raises:
        ParameterError: one line naming the role and what is missing.
    """
    import importlib.util
    import os

    from steerherd.llm.client import _is_loopback, check_key_env

    for role in ROLES:
        be = cfg.role_backend(role)
        if be.kind == "openai":
            if not be.base_url or not be.model:
                raise ParameterError(f"the {role}'s backend (kind = 'openai') needs base_url "
                                     "and model")
            check_key_env(be.api_key_env, allow_key_env)
            if not os.environ.get(be.api_key_env) and not _is_loopback(be.base_url):
                raise ParameterError(f"environment variable {be.api_key_env} is not set "
                                     f"(needed for {be.base_url})")
            continue
        from steerherd.llm.local import _EXTRA_HINT, default_gguf

        if importlib.util.find_spec("xllamacpp") is None:
            raise ParameterError(f"--backend local needs xllamacpp: {_EXTRA_HINT}")
        path = Path(be.gguf) if be.gguf else default_gguf()
        if not path.is_file():
            raise ParameterError(f"GGUF file not found: {path}")
        with path.open("rb") as fh:
            if fh.read(4) != b"GGUF":
                raise ParameterError(f"{path} is not a GGUF file (it does not start with GGUF)")
