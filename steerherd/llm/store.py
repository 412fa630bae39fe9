"""The SQLite run store: every call is committed before its answer is used.

Tables:

* ``meta``: the run's identity and configuration, the model of every role, and one entry
  per session (its CLI overrides).
* ``calls``: one row per answer received or taken from the shared cache: the request, the raw
  reply, the parse result (``parse_ok``, error, parsed JSON), latency, token counts, model,
  temperature, seed, prompt version, replicate, attempt index, persona and ``source``
  (``sent`` or ``cache``). ``key`` (unique) is the cache key.
* ``attempts``: one row per HTTP request sent, failed or not (status, error, latency). The
  call budget counts these, so a retried 503 is paid for like any call.
* ``records``: experiment results, one row per (experiment, item), written with INSERT OR
  IGNORE so a resumed run never duplicates one.

Resume: the runner is deterministic given the configuration and the answers, so a resumed
run issues the same requests in the same order; every answered one is served from
``calls`` and only the unanswered ones are sent. A request in flight when the process was
killed had no committed answer and is sent again; nothing answered is asked twice.

A store is identified by its kind marker (``PRAGMA application_id``, written by
:func:`steerherd.files.open_store`) and checked before use: an empty, corrupt or foreign
SQLite file (a sweep store) is refused in one line and never modified; reports open it
read-only.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from steerherd.errors import ParameterError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS calls (
    id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, role TEXT NOT NULL,
    replicate INTEGER NOT NULL, attempt INTEGER NOT NULL, request TEXT NOT NULL,
    response TEXT NOT NULL, parse_ok INTEGER NOT NULL, parse_error TEXT, parsed TEXT,
    latency_s REAL, prompt_tokens INTEGER, completion_tokens INTEGER, model TEXT NOT NULL,
    endpoint TEXT NOT NULL, temperature REAL NOT NULL, seed INTEGER NOT NULL,
    prompt_version TEXT NOT NULL, structured TEXT, finish_reason TEXT, created REAL NOT NULL,
    source TEXT NOT NULL DEFAULT 'sent', persona TEXT);
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY, key TEXT NOT NULL, role TEXT NOT NULL, attempt INTEGER NOT NULL,
    try INTEGER NOT NULL, ok INTEGER NOT NULL, status INTEGER, error TEXT, latency_s REAL,
    endpoint TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    experiment TEXT NOT NULL, item TEXT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (experiment, item));
"""
_NEW_CALL_COLUMNS = {"source": "TEXT NOT NULL DEFAULT 'sent'", "persona": "TEXT"}
#: The store kind of :func:`steerherd.files.open_store` (its application_id marks the file).
KIND = "llm-run"


def check_store_file(path: Path) -> None:
    """Refuse, without writing, an existing file that is not a sound LLM run store.

    Raises:
        ParameterError: a directory, an empty, text, damaged or foreign file, or another
            tool's store (a sweep store).
    """
    from steerherd.files import check_store

    if path.exists() or path.is_dir():
        check_store(path, KIND)


class RunStore:
    """A run's SQLite file (WAL, synchronous=NORMAL), safe to share between threads.

    Opened through :func:`steerherd.files.open_store`: the file is identified by its kind
    marker and checked (``quick_check``) before use, and refused in one line if it is not a
    sound LLM run store; nothing is written to a refused file.

    Args:
        path: the database file (created with its parent directory when missing, unless
            ``readonly``).
        readonly: open for reading only (reports); the file must exist and is never written.

    Raises:
        ParameterError: the file is empty, corrupt, not SQLite, or another tool's store.
    """

    def __init__(self, path: str | Path, readonly: bool = False) -> None:
        from steerherd.files import open_store

        self.path = Path(path)
        self.readonly = readonly
        self._lock = threading.RLock()
        self.lock: Any = None  # the run directory's DirLock, released on close
        if readonly and not self.path.exists():
            raise ParameterError(f"no run store at {self.path} (run `steerherd llm run CONFIG` "
                                 "first)")
        self._db = open_store(self.path, KIND, create=not readonly, readonly=readonly,
                              check_same_thread=False, isolation_level=None, timeout=30.0)
        if readonly:
            return
        db = self._db
        legacy = "attempts" not in {r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type='table'")}
        had_calls = "calls" in {r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type='table'")}
        db.executescript(_SCHEMA)
        have = {r[1] for r in db.execute("PRAGMA table_info(calls)")}
        for col, decl in _NEW_CALL_COLUMNS.items():
            if col not in have:  # a store written before the column existed
                db.execute(f"ALTER TABLE calls ADD COLUMN {col} {decl}")
        if legacy and had_calls:  # calls sent before attempts were recorded count as one each
            with self._tx() as tx:
                tx.execute("INSERT INTO attempts (key, role, attempt, try, ok, latency_s, "
                           "endpoint, created) SELECT key, role, attempt, 0, 1, latency_s, "
                           "endpoint, created FROM calls")

    def close(self) -> None:
        """Close the connection and release the run directory's lock."""
        with self._lock:
            self._db.close()
        if self.lock is not None:
            self.lock.release()
            self.lock = None

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

    def add_call(self, row: dict[str, Any], attempt: dict[str, Any] | None = None) -> None:
        """Commit one call, with the HTTP attempt that brought it in the same transaction."""
        cols = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        with self._tx() as db:
            db.execute(f"INSERT INTO calls ({cols}) VALUES ({marks})", tuple(row.values()))
            if attempt is not None:
                self._insert_attempt(db, attempt)

    def add_attempt(self, attempt: dict[str, Any]) -> None:
        """Commit one failed HTTP attempt."""
        with self._tx() as db:
            self._insert_attempt(db, attempt)

    @staticmethod
    def _insert_attempt(db: sqlite3.Connection, attempt: dict[str, Any]) -> None:
        cols = ", ".join(attempt)
        marks = ", ".join("?" for _ in attempt)
        db.execute(f"INSERT INTO attempts ({cols}) VALUES ({marks})", tuple(attempt.values()))

    def count_calls(self) -> int:
        """Number of calls stored for this run (answers sent for or taken from the cache)."""
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM calls").fetchone()[0])

    def count_attempts(self) -> int:
        """Number of HTTP requests ever sent for this run (what the budget counts)."""
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM attempts").fetchone()[0])

    def attempts(self) -> list[dict[str, Any]]:
        """Every recorded HTTP attempt, in order."""
        return self._rows("SELECT * FROM attempts ORDER BY id")

    def calls(self) -> list[dict[str, Any]]:
        """Every stored call, in the order stored."""
        return self._rows("SELECT * FROM calls ORDER BY id")

    def _rows(self, sql: str) -> list[dict[str, Any]]:
        with self._lock:
            try:
                cur = self._db.execute(sql)
            except sqlite3.OperationalError:  # a read-only legacy store without the table
                return []
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


def __getattr__(name: str) -> Any:
    """``Caller``, ``Answer`` and ``derive_seed`` moved to :mod:`steerherd.llm.caller`."""
    if name in ("Caller", "Answer", "derive_seed"):
        from steerherd.llm import caller

        return getattr(caller, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
