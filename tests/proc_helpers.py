"""Finding a test's processes by an environment tag, and killing a pool sweep with SIGKILL.

Every process started under ``STEERHERD_TEST_TAG=<tag>`` (the CLI, its pool workers, the
multiprocessing resource tracker) inherits the tag, so the processes still alive after a
kill -9 of the parent are exactly those whose ``/proc/PID/environ`` holds it (Linux).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

TAG = "STEERHERD_TEST_TAG"
ROOT = Path(__file__).resolve().parents[1]


def tagged_pids(tag: str) -> list[int]:
    """Pids of live processes whose environment holds ``STEERHERD_TEST_TAG=tag``."""
    needle = f"{TAG}={tag}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            env = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z" and needle in env.split(b"\0"):
            found.append(int(entry.name))
    return found


def _count(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as con:
            return int(con.execute("SELECT COUNT(*) FROM instances").fetchone()[0])
    except sqlite3.Error:
        return 0


def kill_pool_sweep(config: Path, db: Path, workers: int = 2, after_rows: int = 1,
                    settle_s: float = 10.0) -> tuple[int, list[int]]:
    """Start a pool sweep, SIGKILL its main process once ``after_rows`` rows are stored.

    Returns:
        (rows stored at the kill, pids of tagged processes still alive ``settle_s`` later);
        any such survivors are then killed, one by one, so a failing check leaks nothing.
    """
    tag = uuid.uuid4().hex
    env = {**os.environ, TAG: tag,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.Popen([sys.executable, "-m", "steerherd", "sweep", str(config), "--db",
                             str(db), "--workers", str(workers)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    rows = 0
    while time.monotonic() < deadline and proc.poll() is None:
        rows = _count(db) if db.exists() else 0
        if rows >= after_rows and len(tagged_pids(tag)) > workers:  # pool up and working
            break
        time.sleep(0.05)
    if proc.poll() is not None:
        raise RuntimeError(f"the sweep ended (exit {proc.returncode}) before it was killed")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    end = time.monotonic() + settle_s
    alive = tagged_pids(tag)
    while alive and time.monotonic() < end:
        time.sleep(0.1)
        alive = tagged_pids(tag)
    for pid in alive:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return rows, alive
