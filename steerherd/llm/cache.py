"""The response cache shared by every run: an SQLite file under the user's cache directory.

Keyed by exactly what changes an answer (:meth:`ChatRequest.global_key`: the normalised
endpoint, the model, the messages, the sampling parameters and the schema), so the same
request in a new run directory, with one more replicate or with ``localhost`` for
``127.0.0.1`` is not paid for again. Only model answers are cached (parsed or not); a body
that was not a chat completion (an HTML error page) is never cached. The location is
``$STEERHERD_CACHE_DIR`` or the platform's user cache directory (``platformdirs``), or
``--cache-dir``; ``--no-cache`` bypasses it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from steerherd.errors import ParameterError

CACHE_FILE = "responses.sqlite"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY, endpoint TEXT NOT NULL, model TEXT NOT NULL, reply TEXT NOT NULL,
    created REAL NOT NULL);
"""


def default_cache_dir() -> Path:
    """``$STEERHERD_CACHE_DIR``, else the user cache directory of ``steerherd``."""
    env = os.environ.get("STEERHERD_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("steerherd"))


class ResponseCache:
    """The shared cache file (WAL; several processes may read and write it).

    Args:
        directory: where ``responses.sqlite`` lives (created if missing).

    Raises:
        ParameterError: the file exists but is not a response cache (or is corrupt).
    """

    def __init__(self, directory: str | Path | None = None) -> None:
        self.directory = Path(directory) if directory is not None else default_cache_dir()
        self.path = self.directory / CACHE_FILE
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None,
                                       timeout=30.0)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.DatabaseError) as exc:
            raise ParameterError(f"response cache {self.path} is unusable ({exc}); pass "
                                 "--cache-dir DIR or --no-cache") from None
        self._lock = threading.Lock()
        self.hits = 0

    def get(self, key: str) -> dict[str, Any] | None:
        """The cached reply fields for ``key``, or None."""
        with self._lock:
            row = self._db.execute("SELECT reply FROM responses WHERE key = ?",
                                   (key,)).fetchone()
        if row is None:
            return None
        self.hits += 1
        return dict(json.loads(row[0]))

    def put(self, key: str, endpoint: str, model: str, reply: dict[str, Any]) -> None:
        """Store a reply once (a second put of the same key keeps the first)."""
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO responses VALUES (?, ?, ?, ?, ?)",
                             (key, endpoint, model, json.dumps(reply), time.time()))

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0])

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()
