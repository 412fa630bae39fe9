"""Putting the network guard (``sitecustomize.py`` here) into every process a test starts.

:func:`install` (called by ``tests/conftest.py``) sets ``STEERHERD_NET_GUARD=loopback`` and
puts this directory first on ``PYTHONPATH`` in ``os.environ`` (inherited by subprocesses,
multiprocessing spawn and Dask workers), and wraps ``subprocess.Popen`` so that a test that
passes its own ``env`` (often with its own ``PYTHONPATH``) keeps the guard too.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

GUARD_DIR = str(Path(__file__).resolve().parent)


def guarded_env(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` with the guard switched on and its directory first on PYTHONPATH."""
    out = dict(env)
    parts = [p for p in out.get("PYTHONPATH", "").split(os.pathsep) if p and p != GUARD_DIR]
    out["PYTHONPATH"] = os.pathsep.join([GUARD_DIR, *parts])
    out["STEERHERD_NET_GUARD"] = "loopback"
    return out


def install() -> None:
    """Guard every child process of this test session (idempotent)."""
    os.environ.update(guarded_env(os.environ))
    init = subprocess.Popen.__init__
    if getattr(init, "_steerherd_guard", False):
        return

    def guarded_init(self: subprocess.Popen[Any], *args: Any, **kwargs: Any) -> None:
        if kwargs.get("env") is not None:
            kwargs["env"] = guarded_env(kwargs["env"])
        init(self, *args, **kwargs)

    guarded_init._steerherd_guard = True  # type: ignore[attr-defined]
    subprocess.Popen.__init__ = guarded_init  # type: ignore[method-assign]
