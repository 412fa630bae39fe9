"""One writer per run directory: an exclusive ``flock`` on ``RUN/run.lock``.

The kernel drops a ``flock`` when its holder exits, however it exits (kill -9 included), so a
lock file left by a killed process is stale by construction and the next writer simply takes
it: nothing has to guess whether the old holder is alive. The file records who holds it
(pid, host, start time) for the refusal message only.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from pathlib import Path

from steerherd.errors import ParameterError

LOCK_FILE = "run.lock"


class DirLock:
    """An exclusive, non-blocking lock on a directory (held until :meth:`release`).

    Args:
        directory: the run directory (created if missing).
        what: the tool, named in the refusal ("llm run").

    Raises:
        ParameterError: another process holds the lock (one line: who, since when).
    """

    def __init__(self, directory: Path, what: str = "llm run") -> None:
        self._fd: int | None = None
        if directory.exists() and not directory.is_dir():
            raise ParameterError(f"{directory} is a file, not a run directory (--out)")
        self.path = directory / LOCK_FILE
        try:
            directory.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise ParameterError(f"cannot write the run directory {directory} "
                                 f"({exc.strerror})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read(fd)
            os.close(fd)
            raise ParameterError(
                f"{directory} is in use by another {what} (pid {holder.get('pid', '?')} on "
                f"{holder.get('host', '?')}, since {holder.get('since', '?')}); wait for it to "
                "finish or use another --out") from None
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                 "since": time.strftime("%Y-%m-%d %H:%M:%S")}).encode())
        self._fd = fd

    def release(self) -> None:
        """Drop the lock (the file stays; a later writer takes it)."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __del__(self) -> None:
        self.release()


def _read(fd: int) -> dict[str, object]:
    try:
        data = json.loads(os.pread(fd, 4096, 0) or b"{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
