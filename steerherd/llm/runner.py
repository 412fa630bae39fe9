"""Run an experiment: pre-flight estimate, backend, units in a thread pool, the run store.

A run lives in one directory: ``run.sqlite`` (every call and every result) and, after
``steerherd llm report``, ``report.md`` and its figures. Running the same configuration into
the same directory resumes it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from steerherd.errors import ParameterError
from steerherd.llm import roles
from steerherd.llm.config import ExperimentConfig
from steerherd.llm.experiments import Unit, belief_units, policy_units
from steerherd.llm.roles import Step
from steerherd.llm.sequential import sequential_units
from steerherd.llm.store import Caller, RunStore
from steerherd.llm.types import ChatClient

STORE_FILE = "run.sqlite"


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


@dataclass(frozen=True)
class Estimate:
    """Pre-flight numbers, computed before anything is sent."""

    units: int
    requests: int          # exact: requests the run makes if every answer parses
    calls: int             # calls sent if every answer parses and nothing is stored yet
    calls_exact: bool      # False when sequential runs may repeat requests (then an upper bound)
    max_calls: int         # calls × (1 + max_parse_retries): the most that can be sent
    prompt_tokens: tuple[int, int]
    completion_tokens: tuple[int, int]
    stored_calls: int

    def lines(self) -> list[str]:
        """Human-readable summary."""
        return [
            f"units: {self.units}   requests: {self.requests} (exact, if every answer parses)",
            f"calls to send: {'' if self.calls_exact else 'at most '}{self.calls} on an empty "
            "store, if every answer parses (identical requests are sent once; an agent's "
            "request holds its tip, so identical tips for different verdicts mean fewer)",
            f"calls sent: at most {self.max_calls} (every call with every parse retry)",
            f"prompt tokens: {self.prompt_tokens[0]:,}–{self.prompt_tokens[1]:,}   "
            f"completion tokens: {self.completion_tokens[0]:,}–{self.completion_tokens[1]:,}",
            "(3–5 characters per token; completions between 8 tokens and max_tokens)",
            f"already stored: {self.stored_calls} calls",
        ]


def estimate(cfg: ExperimentConfig, store: RunStore | None = None) -> Estimate:
    """Count requests exactly and bound tokens, without contacting any endpoint.

    Tokens are bounded over the calls to send (identical requests once): from the calls that
    must be sent (sequential runs may repeat requests, so theirs count only above) at their
    shortest prompt (5 characters per token) and 8 completion tokens, to every call with
    every parse retry at its longest prompt (3 characters per token) and max_tokens.
    """
    units = all_units(cfg)
    requests = sum(u.requests for u in units)
    longest = max([cfg.sequential.agents if cfg.sequential else 0, 3])
    chars = _prompt_chars(cfg, longest)
    n_role = _calls_by_role(cfg, units)
    sure = _calls_by_role(cfg, units, named_only=True)  # sequential requests may repeat
    calls = sum(n_role.values())
    tries = 1 + cfg.calls.max_parse_retries
    p_lo = sum(n * chars[r][0] // 5 for r, n in sure.items())
    p_hi = sum(n * tries * chars[r][1] // 3 for r, n in n_role.items())
    c_hi = sum(n * tries * getattr(cfg.calls, f"max_tokens_{r}") for r, n in n_role.items())
    exact = all(u.request_names for u in units if u.requests)
    return Estimate(len(units), requests, calls, exact, calls * tries, (p_lo, p_hi),
                    (8 * sum(sure.values()), c_hi), 0 if store is None else store.count_calls())


def _calls_by_role(cfg: ExperimentConfig, units: list[Unit],
                   named_only: bool = False) -> dict[str, int]:
    """Distinct named requests per role, plus every request of the unnamed (sequential) units."""
    out = {"agent": 0, "oracle": 0, "planner": 0}
    for name in {n for u in units for n in u.request_names}:
        out[name.split("|", 1)[0]] += 1
    n = cfg.sequential.agents if cfg.sequential else 1
    for u in [] if named_only else units:
        if not u.request_names and u.requests:
            per = u.requests // n  # requests per agent: planner (1) + oracle and agent (2)
            out["planner"] += n * (per % 2)
            out["agent"] += n * (per // 2)
            out["oracle"] += n * (per // 2)
    return out


def _prompt_chars(cfg: ExperimentConfig, longest: int) -> dict[str, tuple[int, int]]:
    t, v = cfg.calls.temperature, cfg.prompt_version
    hist = [Step(99, True)] * longest
    msg = "x" * (4 * cfg.calls.max_tokens_oracle)
    size = lambda req: sum(len(m["content"]) for m in req.messages)  # noqa: E731
    params = cfg.model.params("biased", True)
    return {
        "agent": (size(roles.agent_request("", [], "", 50, t, 8, v)),
                  size(roles.agent_request("x" * 120, hist, msg, 50, t, 8, v))),
        "oracle": (size(roles.oracle_request(True, 50, t, 8, v)),) * 2,
        "planner": (size(roles.planner_request(params, False, [], None, t, 8, v)),
                    size(roles.planner_request(params, True, hist, 0.5, t, 8, v))),
    }


@contextmanager
def open_client(cfg: ExperimentConfig) -> Iterator[ChatClient]:
    """The configured backend; ``local`` starts (and at exit stops) the built-in server."""
    from steerherd.llm.client import OpenAIChat

    be = cfg.backend
    if be.kind == "local":
        from steerherd.llm.local import local_server

        with local_server(be.gguf, n_ctx=be.n_ctx, threads=be.threads,
                          parallel=cfg.calls.concurrency) as ep:
            yield OpenAIChat(ep.base_url, be.model or ep.model, timeout=be.timeout_s,
                             max_retries=be.max_retries, structured=be.structured,
                             endpoint=ep.endpoint)
        return
    if not be.base_url or not be.model:
        raise ParameterError("backend.kind = 'openai' needs backend.base_url and backend.model")
    yield OpenAIChat(be.base_url, be.model, api_key_env=be.api_key_env, timeout=be.timeout_s,
                     max_retries=be.max_retries, structured=be.structured)


#: Settings that may change between sessions of one run: where and how fast calls go, and
#: the budget (the endpoint's identity is in every cache key, so a new model is a cache miss).
_NOT_IDENTITY = {"backend": None, "calls": {"max_calls", "concurrency"}}


def run_identity(cfg: ExperimentConfig) -> dict[str, Any]:
    """The configuration minus what may change on resume (backend, budget, concurrency)."""
    data: dict[str, Any] = json.loads(cfg.model_dump_json())
    for key, sub in _NOT_IDENTITY.items():
        if sub is None:
            data.pop(key, None)
        else:
            data[key] = {k: v for k, v in data[key].items() if k not in sub}
    return data


def open_store(cfg: ExperimentConfig, out: Path) -> RunStore:
    """The run's store; refuses a directory that holds a run of another configuration."""
    store = RunStore(out / STORE_FILE)
    stored = store.get_meta("identity")
    current = run_identity(cfg)
    if stored is not None and stored != current:
        store.close()
        diff = sorted(k for k in current if current[k] != stored.get(k))
        raise ParameterError(f"{out} holds a run of another configuration ({stored.get('name')}; "
                             f"differs in {diff}); use a new --out directory")
    store.set_meta("identity", current)
    store.set_meta("config", json.loads(cfg.model_dump_json()))
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


def execute(cfg: ExperimentConfig, store: RunStore, client: ChatClient | None,
            progress: Callable[[int, int, int], None] | None = None) -> RunSummary:
    """Run every unit not yet recorded; each unit's record is written once, when it ends.

    Args:
        progress: called as ``progress(done, total, sent)`` after each unit.
    """
    start = time.perf_counter()
    store.set_meta("prompt_version", cfg.prompt_version)
    if client is not None:
        store.set_meta("endpoint", client.endpoint)
        store.set_meta("model", client.model)
    caller = Caller(store, client, cfg.prompt_version, cfg.calls.max_parse_retries,
                    cfg.calls.max_calls, cfg.calls.concurrency)
    units = all_units(cfg)
    todo = [u for u in units if not store.has_record(u.experiment, u.item)]
    done = len(units) - len(todo)
    if progress is not None:
        progress(done, len(units), 0)

    def work(u: Unit) -> None:
        store.add_record(u.experiment, u.item, u.run(caller))

    with ThreadPoolExecutor(max_workers=cfg.calls.concurrency) as pool:
        futures = [pool.submit(work, u) for u in todo]
        try:
            for fut in futures:
                fut.result()  # re-raises the first failure (budget, endpoint down)
                done += 1
                if progress is not None:
                    progress(done, len(units), caller.sent)
        except BaseException:
            for f in futures:
                f.cancel()  # units not started stay unrecorded; a rerun resumes them
            raise
    return RunSummary(len(units), len(units) - len(todo), caller.sent, caller.cached,
                      time.perf_counter() - start, str(store.path))
