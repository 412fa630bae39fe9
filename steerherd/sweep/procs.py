"""Worker processes that die with their parent, so a killed sweep leaves no orphans.

A ``ProcessPoolExecutor`` worker blocks reading its task queue; if the parent is killed
with SIGKILL it is re-parented to PID 1 and lives on (and, holding the pipe to the
multiprocessing resource tracker, keeps that alive too). On Linux each worker asks the
kernel, in the pool's initializer, to send it SIGKILL when its parent dies
(``prctl(PR_SET_PDEATHSIG)``); elsewhere a daemon thread polls the parent's pid. Either
way the worker first checks that its parent is still the one that started it, closing
the race of a parent that died before the request was made.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor

#: prctl option: the signal delivered to this process when its parent dies.
PR_SET_PDEATHSIG = 1
#: How often the fallback thread checks the parent's pid (s).
POLL_S = 0.5


def die_with_parent(parent_pid: int) -> None:
    """Pool initializer: end this process when ``parent_pid`` (its parent) ends.

    Args:
        parent_pid: the pid of the process that created the pool (``os.getpid()`` there).
    """
    # Ctrl-C reaches the whole process group: the parent handles it (and stops the pool);
    # a worker would only print a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux") and _pdeathsig(signal.SIGKILL):
        if os.getppid() != parent_pid:  # the parent died before prctl: nobody will signal
            os._exit(1)
        return
    thread = threading.Thread(target=_watch, args=(parent_pid,), daemon=True,
                              name="steerherd-parent-watch")
    thread.start()


def stop_pool(pool: ProcessPoolExecutor) -> None:
    """End a process pool now: cancel queued tasks and kill the workers (no waiting)."""
    terminate = getattr(pool, "terminate_workers", None)  # Python >= 3.14
    if terminate is not None:
        terminate()
        return
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        if proc.is_alive():
            proc.kill()
    for proc in processes:
        proc.join(timeout=5)


def _pdeathsig(sig: int) -> bool:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return int(libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _watch(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(POLL_S)
    os._exit(1)
