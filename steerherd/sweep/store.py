"""The SQLite results store of a parameter sweep.

One row per solved instance, keyed by a hash of what defines its answer (the parameters,
the grid and the tolerance), so an instance is never solved twice: a sweep that is killed
and started again skips every key already stored. Rows are written one transaction each
(WAL journal, ``synchronous=NORMAL``): a kill loses at most the instances in flight.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from steerherd.errors import ParameterError

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
    """A sweep's results in one SQLite file.

    Raises:
        ParameterError: if the file exists but is not a steerherd results store.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise ParameterError(f"{str(self.path)!r} is not a results store ({exc})") from None

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

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
