"""kill -9 in the middle of a run over real HTTP, then resume: nothing lost, duplicated or
asked twice."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from steerherd.llm.client import OpenAIChat
from steerherd.llm.runner import STORE_FILE, all_units, estimate, execute, open_store
from tests.llm_helpers import small_config
from tests.llm_mock_server import MockState, mock_server

CHILD = """
import sys
from pathlib import Path
from steerherd.llm.client import OpenAIChat
from steerherd.llm.runner import execute, open_store
from tests.llm_helpers import small_config
cfg = small_config(beliefs=None, policy=None, calls={"concurrency": 2})
store = open_store(cfg, Path(sys.argv[2]))
execute(cfg, store, OpenAIChat(sys.argv[1], "mock-model", endpoint="mock", max_retries=0))
"""
KILL_AFTER = 15  # stored calls before the kill


def _stored(path: Path) -> int:
    if not path.exists():  # connecting would create an empty file, which is not a store
        return 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            return int(db.execute("SELECT COUNT(*) FROM calls").fetchone()[0])
    except sqlite3.OperationalError:  # not created yet
        return 0


def _sent_key(body: dict) -> str:
    return json.dumps([body["messages"], body["seed"]], sort_keys=True)


def test_kill_9_then_resume(tmp_path):
    cfg = small_config(beliefs=None, policy=None, calls={"concurrency": 2})
    db_path = tmp_path / STORE_FILE
    state = MockState(delay_s=0.03)
    with mock_server(state) as (url, _):
        env = {**os.environ, "PYTHONPATH": os.getcwd()}
        child = subprocess.Popen([sys.executable, "-c", CHILD, url, str(tmp_path)], env=env)
        deadline = time.monotonic() + 60
        while _stored(db_path) < KILL_AFTER:
            assert child.poll() is None, "the child ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.005)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        before = _stored(db_path)
        assert before >= KILL_AFTER
        received_before = len(state.received)
        store = open_store(cfg, tmp_path)
        stored_before = {_sent_key(json.loads(c["request"])) for c in store.calls()}
        summary = execute(cfg, store, OpenAIChat(url, "mock-model", endpoint="mock"))
    resumed = state.received[received_before:]
    assert summary.sent > 0 and summary.units_done_before < summary.units  # killed mid-run
    # no answered request is sent again
    assert not ({_sent_key(b) for b in resumed} & stored_before)
    # every call sent is stored exactly once (unique keys), and nothing answered is lost
    calls = store.calls()
    assert len(calls) == len({c["key"] for c in calls}) == before + summary.sent
    assert summary.sent == len(resumed)
    # at most `concurrency` requests were in flight at the kill and had to be sent again
    assert received_before - before <= cfg.calls.concurrency
    # every unit is recorded once
    items = [r["item"] for r in store.records("sequential")]
    assert sorted(items) == sorted(u.item for u in all_units(cfg))
    assert before + summary.sent <= estimate(cfg).requests
