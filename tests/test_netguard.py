"""The network guard reaches child processes: loopback only, whatever env a test passes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading

import pytest

CHILD = """
import socket, sys
host, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
s.settimeout(2)
try:
    s.connect((host, port))
    print("connected")
except RuntimeError as exc:
    print("blocked:", exc)
except OSError as exc:
    print("oserror:", exc)
"""


def _child(host: str, port: int, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run([sys.executable, "-c", CHILD, host, str(port)], env=env,
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


@pytest.fixture
def listener():  # type: ignore[no-untyped-def]
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    stop = threading.Event()

    def accept() -> None:
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                srv.accept()[0].close()
            except OSError:
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield srv.getsockname()[1]
    stop.set()
    thread.join()
    srv.close()


@pytest.mark.parametrize("env", [None, "own"], ids=["inherited-env", "own-env"])
def test_a_child_process_may_reach_loopback_only(listener: int, env: str | None) -> None:
    child_env = None if env is None else {"PATH": os.environ.get("PATH", ""),
                                          "PYTHONPATH": os.getcwd()}
    assert _child("127.0.0.1", listener, child_env) == "connected"
    for host in ("192.0.2.1", "10.255.255.1", "2001:db8::1"):  # TEST-NET / documentation
        out = _child(host, 9, child_env)
        assert out.startswith("blocked: test network guard"), out


def test_a_spawned_worker_is_guarded() -> None:
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        assert pool.apply(_try_connect, ("192.0.2.1",)).startswith("blocked")


def _try_connect(host: str) -> str:
    s = socket.socket()
    try:
        s.connect((host, 9))
        return "connected"
    except RuntimeError as exc:
        return f"blocked: {exc}"
    except OSError as exc:
        return f"oserror: {exc}"
    finally:
        s.close()
