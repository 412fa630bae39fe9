"""The SQLite run store: every call is committed before its answer is used.

Tables:

* ``meta``: the run's configuration, endpoint, model and prompt version (JSON values).
* ``calls``: one row per request actually sent: the request, the raw reply, the parse
  result (``parse_ok``, error, parsed JSON), latency, token counts, model, temperature,
  seed, prompt version, replicate and attempt index. ``key`` (unique) is the cache key.
* ``records``: experiment results, one row per (experiment, item), written with INSERT OR
  IGNORE so a resumed run never duplicates one.

Resume: the runner is deterministic given the configuration and the answers, so a resumed
run issues the same requests in the same order; every answered one is served from
``calls`` and only the unanswered ones are sent. A request in flight when the process was
killed had no committed answer and is sent again; nothing answered is asked twice.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from steerherd.llm.schema import parse_answer
from steerherd.llm.types import BudgetExceeded, ChatClient, ChatRequest, LLMError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS calls (
    id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, role TEXT NOT NULL,
    replicate INTEGER NOT NULL, attempt INTEGER NOT NULL, request TEXT NOT NULL,
    response TEXT NOT NULL, parse_ok INTEGER NOT NULL, parse_error TEXT, parsed TEXT,
    latency_s REAL, prompt_tokens INTEGER, completion_tokens INTEGER, model TEXT NOT NULL,
    endpoint TEXT NOT NULL, temperature REAL NOT NULL, seed INTEGER NOT NULL,
    prompt_version TEXT NOT NULL, structured TEXT, finish_reason TEXT, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    experiment TEXT NOT NULL, item TEXT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (experiment, item));
"""


class RunStore:
    """A run's SQLite file (WAL, synchronous=NORMAL), safe to share between threads.

    Args:
        path: the database file (created with its parent directory when missing).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def set_meta(self, key: str, value: Any) -> None:
        """Store a JSON value under ``key`` (replacing it)."""
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, json.dumps(value)))

    def get_meta(self, key: str, default: Any = None) -> Any:
        """A stored JSON value, or ``default``."""
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return default if row is None else json.loads(row[0])

    def get_call(self, key: str) -> dict[str, Any] | None:
        """The stored call with this cache key, or None."""
        with self._lock:
            cur = self._db.execute("SELECT * FROM calls WHERE key = ?", (key,))
            row = cur.fetchone()
            names = [d[0] for d in cur.description]
        return None if row is None else dict(zip(names, row, strict=True))

    def add_call(self, row: dict[str, Any]) -> None:
        """Commit one call (the unique key makes a second insert of it an error)."""
        cols = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        with self._tx() as db:
            db.execute(f"INSERT INTO calls ({cols}) VALUES ({marks})", tuple(row.values()))

    def count_calls(self) -> int:
        """Number of calls ever sent for this run."""
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM calls").fetchone()[0])

    def calls(self) -> list[dict[str, Any]]:
        """Every stored call, in the order sent."""
        with self._lock:
            cur = self._db.execute("SELECT * FROM calls ORDER BY id")
            names = [d[0] for d in cur.description]
            return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def add_record(self, experiment: str, item: str, data: dict[str, Any]) -> bool:
        """Store a result once; returns False if (experiment, item) was already stored."""
        with self._tx() as db:
            cur = db.execute("INSERT OR IGNORE INTO records VALUES (?, ?, ?)",
                             (experiment, item, json.dumps(data)))
            return cur.rowcount == 1

    def has_record(self, experiment: str, item: str) -> bool:
        """Whether (experiment, item) is stored."""
        with self._lock:
            return self._db.execute("SELECT 1 FROM records WHERE experiment = ? AND item = ?",
                                    (experiment, item)).fetchone() is not None

    def records(self, experiment: str) -> list[dict[str, Any]]:
        """The stored results of one experiment, with their item keys."""
        with self._lock:
            rows = self._db.execute("SELECT item, data FROM records WHERE experiment = ? "
                                    "ORDER BY rowid", (experiment,)).fetchall()
        return [{"item": item, **json.loads(data)} for item, data in rows]


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
        client: the chat backend (None: replay only; a cache miss is then an error).
        prompt_version: recorded with each call and part of the cache key.
        max_parse_retries: extra attempts (new seed) after an unparseable answer.
        max_calls: the run's call budget (calls ever sent, counting earlier sessions).
        concurrency: at most this many requests in flight.
        on_call: called with ``cached`` after every request, e.g. to advance a progress bar.
    """

    def __init__(self, store: RunStore, client: ChatClient | None, prompt_version: str,
                 max_parse_retries: int = 2, max_calls: int | None = None, concurrency: int = 1,
                 on_call: Callable[[bool], None] | None = None) -> None:
        self.store = store
        self.client = client
        self.prompt_version = prompt_version
        self.max_parse_retries = max_parse_retries
        self.max_calls = max_calls
        self._slots = threading.BoundedSemaphore(max(1, concurrency))
        self._budget_lock = threading.Lock()
        self._reserved = 0
        self._inflight: dict[str, threading.Event] = {}
        self._inflight_lock = threading.Lock()
        self.on_call = on_call
        self.sent = 0
        self.cached = 0

    @property
    def endpoint(self) -> str:
        """The backend's identity used in cache keys (the stored one when replaying)."""
        if self.client is not None:
            return self.client.endpoint
        return str(self.store.get_meta("endpoint", ""))

    @property
    def model(self) -> str:
        """The model name used in cache keys."""
        if self.client is not None:
            return self.client.model
        return str(self.store.get_meta("model", ""))

    def ask(self, role: str, request: ChatRequest, replicate: int, base_seed: int,
            check: Callable[[Any], str | None] | None = None) -> Answer:
        """Ask ``role`` until its answer parses, at most ``1 + max_parse_retries`` times.

        Each attempt has its own seed (derived from ``base_seed``, replicate and attempt) and
        its own cache key; a failed parse is stored as such and never replaced by a default.
        """
        ids: list[int] = []
        sent = 0
        for attempt in range(self.max_parse_retries + 1):
            req = replace(request, seed=derive_seed(base_seed, role, replicate, attempt))
            key = req.cache_key(self.endpoint, self.model, self.prompt_version, replicate)
            row, cached = self._cached_or_sent(role, req, key, replicate, attempt, check)
            sent += not cached
            if self.on_call is not None:
                self.on_call(cached)
            ids.append(int(row["id"]))
            if row["parse_ok"]:
                return Answer(json.loads(row["parsed"]), attempt + 1, sent, tuple(ids))
        return Answer(None, self.max_parse_retries + 1, sent, tuple(ids))

    def _cached_or_sent(self, role: str, req: ChatRequest, key: str, replicate: int,
                        attempt: int, check: Callable[[Any], str | None] | None,
                        ) -> tuple[dict[str, Any], bool]:
        # Two threads asking the same request at once: the second waits for the first's
        # stored answer instead of sending a duplicate.
        while True:
            with self._inflight_lock:
                row = self.store.get_call(key)
                if row is not None:
                    self.cached += 1
                    return row, True
                event = self._inflight.get(key)
                if event is None:
                    event = self._inflight[key] = threading.Event()
                    break
            event.wait()  # then look again: stored, or the sender failed and we try
        try:
            return self._send(role, req, key, replicate, attempt, check), False
        finally:
            with self._inflight_lock:
                del self._inflight[key]
            event.set()

    def _send(self, role: str, req: ChatRequest, key: str, replicate: int, attempt: int,
              check: Callable[[Any], str | None] | None) -> dict[str, Any]:
        if self.client is None:
            raise LLMError(f"no endpoint: call {key[:12]} ({role}) is not stored, and a "
                           "replay sends no calls")
        self._reserve()
        try:
            with self._slots:
                reply = self.client.complete(req)
        finally:
            with self._budget_lock:
                self._reserved -= 1
        parsed = parse_answer(role, reply.text, check)
        row = {
            "key": key, "role": role, "replicate": replicate, "attempt": attempt,
            "request": json.dumps(req.to_dict()), "response": reply.text,
            "parse_ok": int(parsed.ok), "parse_error": parsed.error,
            "parsed": None if parsed.value is None else json.dumps(parsed.value),
            "latency_s": reply.latency_s, "prompt_tokens": reply.prompt_tokens,
            "completion_tokens": reply.completion_tokens, "model": reply.model,
            "endpoint": self.endpoint, "temperature": req.temperature, "seed": req.seed,
            "prompt_version": self.prompt_version, "structured": reply.structured,
            "finish_reason": reply.finish_reason, "created": time.time(),
        }
        self.store.add_call(row)  # committed before anything uses the answer
        self.sent += 1
        stored = self.store.get_call(key)
        assert stored is not None
        return stored

    def _reserve(self) -> None:
        with self._budget_lock:
            if self.max_calls is not None and \
                    self.store.count_calls() + self._reserved >= self.max_calls:
                raise BudgetExceeded(f"call budget spent: max_calls = {self.max_calls}; every "
                                     "answer so far is stored, raise max_calls and run again")
            self._reserved += 1


def derive_seed(base_seed: int, role: str, replicate: int, attempt: int) -> int:
    """A 31-bit seed per (run seed, role, replicate, attempt): replicates differ, reruns agree."""
    digest = hashlib.sha256(f"{base_seed}:{role}:{replicate}:{attempt}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF
