"""The SQLite run store: every call is committed before its answer is used.

Tables:

* ``meta``: the store's kind marker (``store_kind``), the run's identity and configuration,
  the model of every role, and one entry per session (its CLI overrides).
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

A store is identified by its ``store_kind`` marker and checked before use: an empty, corrupt
or foreign SQLite file (a sweep store) is refused in one line and never modified; reports
open it read-only.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from steerherd.errors import ParameterError

STORE_KIND = "steerherd.llm.run"
SCHEMA_VERSION = 2
_SQLITE_MAGIC = b"SQLite format 3\x00"
_LEGACY_TABLES = {"meta", "calls", "records"}
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


def check_store_file(path: Path) -> None:
    """Refuse a path that is not an (empty-able) SQLite file before anything opens it.

    Raises:
        ParameterError: a directory, an empty file, or a file that is not SQLite.
    """
    if path.is_dir():
        raise ParameterError(f"{path} is a directory, not a run store")
    if not path.exists():
        return
    with path.open("rb") as fh:
        head = fh.read(len(_SQLITE_MAGIC))
    if not head:
        raise ParameterError(f"{path} is an empty file, not a run store (left unchanged)")
    if head != _SQLITE_MAGIC:
        raise ParameterError(f"{path} is not an SQLite file, not a run store (left unchanged)")


def _create(path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.new")
    db = sqlite3.connect(tmp, isolation_level=None)
    try:
        db.executescript(_SCHEMA)
        db.execute("INSERT INTO meta VALUES ('store_kind', ?)", (json.dumps(STORE_KIND),))
        db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (json.dumps(SCHEMA_VERSION),))
    finally:
        db.close()
    os.replace(tmp, path)


class RunStore:
    """A run's SQLite file (WAL, synchronous=NORMAL), safe to share between threads.

    Args:
        path: the database file (created with its parent directory when missing, unless
            ``readonly``).
        readonly: open for reading only (reports); the file must exist and is never written.

    Raises:
        ParameterError: the file is empty, corrupt, not SQLite, or another tool's store.
    """

    def __init__(self, path: str | Path, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        check_store_file(self.path)
        if readonly and not self.path.is_file():
            raise ParameterError(f"no run store at {self.path} (run `steerherd llm run CONFIG` "
                                 "first)")
        new = not self.path.exists()
        if not readonly:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        if new and not readonly:
            _create(self.path)  # complete, then renamed into place: never a half-made file
            new = False
        self._lock = threading.RLock()
        self.lock: Any = None  # the run directory's DirLock, released on close
        try:
            if readonly:
                uri = "file:" + quote(str(self.path.resolve())) + "?mode=ro"
                self._db = sqlite3.connect(uri, uri=True, check_same_thread=False,
                                           isolation_level=None)
            else:
                self._db = sqlite3.connect(self.path, check_same_thread=False,
                                           isolation_level=None, timeout=30.0)
            self._check(new)
        except sqlite3.DatabaseError as exc:
            raise ParameterError(f"{self.path} is not a usable run store ({exc}); left "
                                 "unchanged") from None

    def _check(self, new: bool) -> None:
        db = self._db
        if not new:
            verdict = db.execute("PRAGMA quick_check").fetchone()[0]
            if verdict != "ok":
                db.close()
                raise ParameterError(f"{self.path} is corrupt (quick_check: {verdict}); left "
                                     "unchanged")
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        kind = None
        if "meta" in tables:
            row = db.execute("SELECT value FROM meta WHERE key = 'store_kind'").fetchone()
            kind = None if row is None else json.loads(row[0])
        legacy = kind is None and _LEGACY_TABLES <= tables
        if kind not in (None, STORE_KIND) or (kind is None and tables and not legacy):
            db.close()
            what = f"a {kind} store" if kind else f"tables {sorted(tables)}"
            raise ParameterError(f"{self.path} is not an LLM run store (it holds {what}); "
                                 "left unchanged")
        if self.readonly:
            return
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(_SCHEMA)
        have = {r[1] for r in db.execute("PRAGMA table_info(calls)")}
        for col, decl in _NEW_CALL_COLUMNS.items():
            if col not in have:  # a store written before the column existed
                db.execute(f"ALTER TABLE calls ADD COLUMN {col} {decl}")
        if kind is None:
            with self._tx() as tx:
                tx.execute("INSERT OR REPLACE INTO meta VALUES ('store_kind', ?)",
                           (json.dumps(STORE_KIND),))
                tx.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
                           (json.dumps(SCHEMA_VERSION),))
                if legacy:  # calls sent before attempts were recorded count as one each
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
