"""The SQLite results store of a parameter sweep.

One row per solved instance, keyed by a hash of what defines its answer (the parameters,
the grid and the tolerance), so an instance is never solved twice: a sweep that is killed
and started again skips every key already stored. Rows are written one transaction each
(WAL journal, ``synchronous=NORMAL``): a kill loses at most the instances in flight.

The file is marked as a sweep store (``PRAGMA application_id``, see
:func:`steerherd.files.open_store`): an LLM run store, a text, empty or damaged file is
refused before anything is written to it. A sweep run holds ``<store>.lock`` (``flock``) for
its whole duration, so a second sweep into the same store is refused, in one line, before it
solves anything; the kernel drops the lock when its holder dies, so a killed sweep never
leaves a stale one.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Iterable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from steerherd.errors import ParameterError
from steerherd.files import check_output_dir, check_store, exclusive_lock, open_store

SCHEMA = """
CREATE TABLE IF NOT EXISTS instances (
    key TEXT PRIMARY KEY,
    params TEXT NOT NULL,
    grid TEXT NOT NULL,
    summary TEXT NOT NULL,
    seconds REAL NOT NULL,
    executor TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS sweeps (
    name TEXT NOT NULL,
    config TEXT NOT NULL,
    started REAL NOT NULL
);
"""


def instance_key(instance: dict[str, Any]) -> str:
    """SHA-256 of the instance's parameters, grid and tolerance (canonical JSON)."""
    ident = {k: instance[k] for k in ("params", "grid")}
    text = json.dumps(ident, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


class ResultStore:
    """A sweep's results in one SQLite file, marked as a sweep store.

    Args:
        path: the database file.
        create: make the store if the path does not exist (a writer); otherwise it must.
        readonly: open it read-only (reports): no schema or row can be written.
        lock: hold ``<path>.lock`` exclusively while open, so a second writer is refused
            (see :func:`steerherd.files.exclusive_lock`); a sweep run sets it.

    Raises:
        ParameterError: if the file is not a sweep store (an LLM run store, a text, empty
            or damaged file), which is then left untouched, or if another writer holds it.
    """

    def __init__(self, path: str | Path, *, create: bool = True, readonly: bool = False,
                 lock: bool = False) -> None:
        self.path = Path(path)
        self._lock: ExitStack = ExitStack()
        if lock:
            if self.path.is_dir():
                raise ParameterError(f"{str(self.path)!r} is a directory, not a sweep store file")
            if self.path.exists():  # refuse a foreign file before leaving a lock beside it
                check_store(self.path, "sweep")
            elif create:
                check_output_dir(self.path.parent, f"the directory of {str(self.path)!r}")
            self._lock.enter_context(exclusive_lock(
                self.path.with_name(self.path.name + ".lock"),
                f"the sweep store {str(self.path)!r}"))
        try:
            self._db = open_store(self.path, "sweep", create=create, readonly=readonly)
            if not readonly:
                self._db.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            self._lock.close()
            raise ParameterError(f"{str(self.path)!r} is not a results store ({exc})") from None
        except BaseException:
            self._lock.close()
            raise
        if readonly:
            tables = {r[0] for r in self._db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "instances" not in tables:  # marked but never written to: an empty store
                self._db.close()
                self._db = sqlite3.connect(":memory:")
                self._db.executescript(SCHEMA)

    def close(self) -> None:
        """Close the connection (and release the writer's lock)."""
        self._db.close()
        self._lock.close()

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def done_keys(self) -> set[str]:
        """Keys of every stored instance."""
        return {row[0] for row in self._db.execute("SELECT key FROM instances")}

    def record_sweep(self, name: str, config: dict[str, Any]) -> None:
        """Remember a sweep's configuration (one row per start)."""
        with self._db:
            self._db.execute("INSERT INTO sweeps VALUES (?, ?, ?)",
                             (name, json.dumps(config), time.time()))

    def add(self, rows: Iterable[dict[str, Any]], executor: str) -> int:
        """Store solved instances (one transaction); an existing key is left as it is.

        Returns:
            The number of rows written.
        """
        values = [
            (r["key"], json.dumps(r["params"]), json.dumps(r["grid"]), json.dumps(r["summary"]),
             float(r["seconds"]), executor, time.time())
            for r in rows
        ]
        with self._db:
            cur = self._db.executemany(
                "INSERT OR IGNORE INTO instances VALUES (?, ?, ?, ?, ?, ?, ?)", values)
        return cur.rowcount

    def rows(self) -> list[dict[str, Any]]:
        """Every stored instance, oldest first, JSON columns decoded."""
        cur = self._db.execute(
            "SELECT key, params, grid, summary, seconds, executor FROM instances"
            " ORDER BY created, key")
        return [
            {"key": k, "params": json.loads(p), "grid": json.loads(g), "summary": json.loads(s),
             "seconds": sec, "executor": ex}
            for k, p, g, s, sec, ex in cur
        ]

    def count(self) -> int:
        """Number of stored instances."""
        return int(self._db.execute("SELECT COUNT(*) FROM instances").fetchone()[0])
