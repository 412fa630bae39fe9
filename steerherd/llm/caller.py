"""The Caller: every request goes through the run store, the shared cache, then the endpoint.

Order for one request: the run store (a resumed or replayed run), the shared response cache
(another run asked the same), then the endpoint. Sending is the harness's own loop: one HTTP
attempt at a time (the client never retries), each recorded in ``attempts`` and counted
against the budget; retryable failures (429 with ``retry-after``, 5xx, timeouts, dropped
connections) back off and try again up to the client's ``max_retries``. A reply whose body is
not a chat completion is stored as a failed parse and asked again with a new seed, like any
answer that does not parse. Once ``stop`` is set no new attempt starts.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from steerherd.llm.cache import ResponseCache
from steerherd.llm.schema import Parsed, parse_answer
from steerherd.llm.store import RunStore
from steerherd.llm.types import (
    BudgetExceeded,
    ChatClient,
    ChatReply,
    ChatRequest,
    Interrupted,
    LLMError,
    TransportError,
    normalise_endpoint,
)

#: Backoff after the i-th failed attempt without ``retry-after``: min(CAP, BASE·2^i) seconds.
BACKOFF_BASE_S = 0.5
BACKOFF_CAP_S = 8.0


@dataclass(frozen=True)
class Answer:
    """What a role answered: the parsed value (None if every attempt failed) and its calls."""

    value: dict[str, Any] | None
    attempts: int
    sent: int
    call_ids: tuple[int, ...]


class Caller:
    """Sends requests through the store: cache first, then the client, within a budget.

    Args:
        store: the run store.
        client: the chat backend (None: replay only; a cache miss is then an error), or a
            mapping role → backend.
        prompt_version: recorded with each call and part of the cache key.
        max_parse_retries: extra attempts (new seed) after an unparseable answer.
        max_calls: the run's budget of HTTP requests (counting earlier sessions).
        concurrency: at most this many requests in flight.
        on_call: called with ``cached`` after every request, e.g. to advance a progress bar.
        cache: the shared response cache, or None.
        stop: once set, no new HTTP attempt starts (:class:`Interrupted` is raised instead).
    """

    def __init__(self, store: RunStore, client: ChatClient | dict[str, ChatClient] | None,
                 prompt_version: str, max_parse_retries: int = 2, max_calls: int | None = None,
                 concurrency: int = 1, on_call: Callable[[bool], None] | None = None,
                 cache: ResponseCache | None = None,
                 stop: threading.Event | None = None) -> None:
        self.store = store
        self.clients: dict[str, ChatClient] | None = (
            None if client is None else client if isinstance(client, dict)
            else {r: client for r in ("planner", "oracle", "agent")})
        self.prompt_version = prompt_version
        self.max_parse_retries = max_parse_retries
        self.max_calls = max_calls
        self.cache = cache
        self.stop = stop or threading.Event()
        self._slots = threading.BoundedSemaphore(max(1, concurrency))
        self._budget_lock = threading.Lock()
        self._reserved = 0
        self._inflight: dict[str, threading.Event] = {}
        self._inflight_lock = threading.Lock()
        self.on_call = on_call
        self.sent = 0      # answers received from the endpoint
        self.cached = 0    # answers from the run store or the shared cache
        self.from_shared = 0
        self.failed_attempts = 0

    @property
    def client(self) -> ChatClient | None:
        """The agent's backend (the one used when every role shares one)."""
        return None if self.clients is None else self.clients["agent"]

    def identity(self, role: str) -> tuple[str, str]:
        """(endpoint, model) of ``role`` used in cache keys (stored ones when replaying)."""
        if self.clients is not None:
            c = self.clients[role]
            return normalise_endpoint(c.endpoint), c.model
        served = self.store.get_meta("served") or {}  # what the run's clients were
        if role in served:
            return normalise_endpoint(str(served[role]["endpoint"])), str(served[role]["model"])
        return (normalise_endpoint(str(self.store.get_meta("endpoint", ""))),
                str(self.store.get_meta("model", "")))

    @property
    def endpoint(self) -> str:
        """The agent's endpoint identity."""
        return self.identity("agent")[0]

    @property
    def model(self) -> str:
        """The agent's model name."""
        return self.identity("agent")[1]

    def ask(self, role: str, request: ChatRequest, replicate: int, base_seed: int,
            check: Callable[[Any], str | None] | None = None,
            persona: str | None = None) -> Answer:
        """Ask ``role`` until its answer parses, at most ``1 + max_parse_retries`` times.

        Each attempt has its own seed (derived from ``base_seed``, replicate and attempt) and
        its own cache key; a failed parse is stored as such and never replaced by a default.
        """
        ids: list[int] = []
        sent = 0
        endpoint, model = self.identity(role)
        for attempt in range(self.max_parse_retries + 1):
            req = replace(request, seed=derive_seed(base_seed, role, replicate, attempt))
            key = req.cache_key(endpoint, model, self.prompt_version, replicate)
            ctx = _Ctx(role, req, key, replicate, attempt, check, persona, endpoint, model)
            row, cached = self._cached_or_sent(ctx)
            sent += not cached
            if self.on_call is not None:
                self.on_call(cached)
            ids.append(int(row["id"]))
            if row["parse_ok"]:
                return Answer(json.loads(row["parsed"]), attempt + 1, sent, tuple(ids))
        return Answer(None, self.max_parse_retries + 1, sent, tuple(ids))

    def _cached_or_sent(self, ctx: _Ctx) -> tuple[dict[str, Any], bool]:
        # Two threads asking the same request at once: the second waits for the first's
        # stored answer instead of sending a duplicate.
        while True:
            with self._inflight_lock:
                row = self.store.get_call(ctx.key)
                if row is not None:
                    self.cached += 1
                    return row, True
                event = self._inflight.get(ctx.key)
                if event is None:
                    event = self._inflight[ctx.key] = threading.Event()
                    break
            event.wait()  # then look again: stored, or the sender failed and we try
        try:
            shared = self._from_shared_cache(ctx)
            if shared is not None:
                return shared, True
            return self._send(ctx), False
        finally:
            with self._inflight_lock:
                del self._inflight[ctx.key]
            event.set()

    def _from_shared_cache(self, ctx: _Ctx) -> dict[str, Any] | None:
        if self.cache is None:
            return None
        hit = self.cache.get(ctx.req.global_key(ctx.endpoint, ctx.model))
        if hit is None:
            return None
        reply = ChatReply(**hit)
        row = self._row(ctx, reply, parse_answer(ctx.role, reply.text, ctx.check), "cache")
        self.store.add_call(row)
        self.cached += 1
        self.from_shared += 1
        stored = self.store.get_call(ctx.key)
        assert stored is not None
        return stored

    def _send(self, ctx: _Ctx) -> dict[str, Any]:
        if self.clients is None:
            raise LLMError(f"no endpoint: call {ctx.key[:12]} ({ctx.role}) is not stored, and "
                           "a replay sends no calls")
        client = self.clients[ctx.role]
        retries = int(getattr(client, "max_retries", 0))
        limiter = getattr(client, "limiter", None)
        tokens = sum(len(m["content"]) for m in ctx.req.messages) // 4 + ctx.req.max_tokens
        tries = 0
        failures = 0
        while True:
            with self._slots:
                if self.stop.is_set():
                    raise Interrupted("interrupted: no new call is sent")
                if limiter is not None:
                    limiter.acquire(tokens, self.stop)
                self._reserve()
                start = time.perf_counter()
                try:
                    reply = client.complete(ctx.req)
                except TransportError as exc:
                    with self._budget_lock:  # stored and released at once: counted once
                        self._record_failure(ctx, tries, exc, time.perf_counter() - start)
                        self._reserved -= 1
                    err = exc
                except BaseException:
                    self._release()
                    raise
                else:
                    break  # the reservation is held until the answer's attempt is stored
            tries += 1
            if not err.retryable or (not err.immediate and failures >= retries):
                raise LLMError(f"{err} (after {tries} attempt{'s' * (tries > 1)}, each "
                               "recorded)") from None
            if err.immediate:
                continue
            failures += 1
            delay = err.retry_after if err.retry_after is not None else \
                min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** (failures - 1))
            if self.stop.wait(delay):
                raise Interrupted("interrupted while waiting to retry")
        committed = False
        try:
            parsed = Parsed(False, None, reply.body_error) if reply.body_error else \
                parse_answer(ctx.role, reply.text, ctx.check)
            row = self._row(ctx, reply, parsed, "sent")
            attempt = {"key": ctx.key, "role": ctx.role, "attempt": ctx.attempt, "try": tries,
                       "ok": 1, "status": 200, "error": reply.body_error,
                       "latency_s": reply.latency_s, "endpoint": ctx.endpoint,
                       "created": time.time()}
            # The reservation is released in the same step as the attempt is stored: between
            # the two, another thread would count this request never (one past the budget)
            # or twice (a budget refused one request early).
            with self._budget_lock:
                self.store.add_call(row, attempt)  # committed before anything uses the answer
                self._reserved -= 1
                committed = True
        finally:
            if not committed:
                self._release()
        self.sent += 1
        if self.cache is not None and reply.body_error is None:
            self.cache.put(ctx.req.global_key(ctx.endpoint, ctx.model), ctx.endpoint,
                           ctx.model, _reply_fields(reply))
        stored = self.store.get_call(ctx.key)
        assert stored is not None
        return stored

    def _record_failure(self, ctx: _Ctx, tries: int, exc: TransportError,
                        latency: float) -> None:
        self.failed_attempts += 1
        self.store.add_attempt({"key": ctx.key, "role": ctx.role, "attempt": ctx.attempt,
                                "try": tries, "ok": 0, "status": exc.status,
                                "error": str(exc)[:500], "latency_s": latency,
                                "endpoint": ctx.endpoint, "created": time.time()})

    def _row(self, ctx: _Ctx, reply: ChatReply, parsed: Parsed, source: str) -> dict[str, Any]:
        return {
            "key": ctx.key, "role": ctx.role, "replicate": ctx.replicate,
            "attempt": ctx.attempt, "request": json.dumps(ctx.req.to_dict()),
            "response": reply.text, "parse_ok": int(parsed.ok), "parse_error": parsed.error,
            "parsed": None if parsed.value is None else json.dumps(parsed.value),
            "latency_s": reply.latency_s, "prompt_tokens": reply.prompt_tokens,
            "completion_tokens": reply.completion_tokens, "model": reply.model,
            "endpoint": ctx.endpoint, "temperature": ctx.req.temperature, "seed": ctx.req.seed,
            "prompt_version": self.prompt_version, "structured": reply.structured,
            "finish_reason": reply.finish_reason, "created": time.time(), "source": source,
            "persona": ctx.persona,
        }

    def _release(self) -> None:
        with self._budget_lock:
            self._reserved -= 1

    def _reserve(self) -> None:
        with self._budget_lock:
            if self.max_calls is not None and \
                    self.store.count_attempts() + self._reserved >= self.max_calls:
                raise BudgetExceeded(f"call budget spent: max_calls = {self.max_calls} HTTP "
                                     "requests; every answer so far is stored, raise max_calls "
                                     "and run again")
            self._reserved += 1


@dataclass(frozen=True)
class _Ctx:
    role: str
    req: ChatRequest
    key: str
    replicate: int
    attempt: int
    check: Callable[[Any], str | None] | None
    persona: str | None
    endpoint: str
    model: str


def _reply_fields(reply: ChatReply) -> dict[str, Any]:
    return {"text": reply.text, "prompt_tokens": reply.prompt_tokens,
            "completion_tokens": reply.completion_tokens, "latency_s": reply.latency_s,
            "model": reply.model, "structured": reply.structured,
            "finish_reason": reply.finish_reason}


def derive_seed(base_seed: int, role: str, replicate: int, attempt: int) -> int:
    """A 31-bit seed per (run seed, role, replicate, attempt): replicates differ, reruns agree."""
    digest = hashlib.sha256(f"{base_seed}:{role}:{replicate}:{attempt}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF
