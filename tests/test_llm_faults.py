"""The fault matrix (issue 12.5/12.9): every fault either ends the run identical to a healthy
one, or ends it with one line and the right exit code; every HTTP attempt is recorded."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from steerherd.cli import main
from tests.llm_helpers import Scripted
from tests.llm_mock_server import MockState, mock_server

CONFIG = """
name = "faults"
seed = 11
[backend]
kind = "openai"
base_url = "{url}"
model = "mock-model"
max_retries = 3
timeout_s = 0.5
[calls]
max_calls = 400
concurrency = 1
max_parse_retries = 2
[beliefs]
public_beliefs = [0.3, 0.8]
precisions = [0.7]
[policy]
public_beliefs = [0.2, 0.5]
planners = ["altruistic", "biased"]
[sequential]
runs = 1
agents = 3
settings = ["llm", "hybrid"]
"""
#: Transport faults are retried with the same request; body faults are failed parses, asked
#: again with a new seed (the scripted answers do not depend on the seed).
FAULTS = ["429", "500", "503", "reset", "timeout", "html", "malformed", "truncated",
          "wrong_schema", "bad_body"]


def _run(tmp_path: Path, name: str, faults: list[str]) -> tuple[int, dict, MockState, Path]:
    state = MockState(faults=list(faults), answer=Scripted())
    out = tmp_path / name
    with mock_server(state) as (url, _):
        cfg = tmp_path / f"{name}.toml"
        cfg.write_text(CONFIG.format(url=url))
        code = main(["llm", "run", str(cfg), "--out", str(out), "--no-report", "--no-cache"])
    with sqlite3.connect(out / "run.sqlite") as db:
        records = {item: json.loads(data) for item, data in
                   db.execute("SELECT item, data FROM records")}
    return code, records, state, out


def _attempts(out: Path) -> list[tuple[int, int | None]]:
    with sqlite3.connect(out / "run.sqlite") as db:
        return db.execute("SELECT ok, status FROM attempts ORDER BY id").fetchall()


@pytest.fixture(scope="module")
def healthy(tmp_path_factory: pytest.TempPathFactory) -> dict:
    code, records, state, out = _run(tmp_path_factory.mktemp("healthy"), "ok", [])
    assert code == 0 and len(_attempts(out)) == len(state.received)
    return records


@pytest.mark.parametrize("fault", FAULTS)
def test_fault_ends_like_a_healthy_run(tmp_path, healthy, fault):
    # the fault hits the 1st, 4th and 9th request (an oracle, an agent and a planner call)
    faults = ["ok"] * 9
    for i in (0, 3, 8):
        faults[i] = fault
    code, records, state, out = _run(tmp_path, "f", faults)
    assert code == 0
    assert records == healthy  # the same answers, the same results
    attempts = _attempts(out)
    assert len(attempts) == len(state.received)  # every attempt recorded, none unrecorded
    failed = sum(1 for ok, status in attempts if not ok)
    with sqlite3.connect(out / "run.sqlite") as db:
        bad_parses = db.execute("SELECT COUNT(*) FROM calls WHERE parse_ok = 0").fetchone()[0]
    if fault in ("html", "malformed", "truncated", "wrong_schema", "bad_body"):
        assert bad_parses == 3 and failed == 0  # stored as failed parses, asked again
    else:
        assert failed == 3 and bad_parses == 0  # retried by the harness, recorded


def test_persistent_fault_is_one_line_and_exit_1(tmp_path, capsys):
    code, _, state, out = _run(tmp_path, "dead", ["503"] * 50)
    assert code == 1
    err = [x for x in capsys.readouterr().err.splitlines() if x.startswith("error")]
    assert len(err) == 1 and "HTTP 503" in err[0] and "after 4 attempts" in err[0]
    assert len(_attempts(out)) == len(state.received) == 4


def test_server_death_mid_run_is_exit_1_then_resumes(tmp_path, capsys):
    state = MockState(answer=Scripted(), delay_s=0.02)
    out = tmp_path / "run"
    cfg = tmp_path / "c.toml"
    with mock_server(state) as (url, server):
        cfg.write_text(CONFIG.format(url=url))
        import threading
        import time

        def killer() -> None:
            while len(state.received) < 8:
                time.sleep(0.001)
            server.should_exit = server.force_exit = True
        threading.Thread(target=killer, daemon=True).start()
        assert main(["llm", "run", str(cfg), "--out", str(out), "--no-report"]) == 1
    assert len([x for x in capsys.readouterr().err.splitlines() if x.startswith("error")]) == 1
    stored = {_key(b) for b in state.received[:-1]}  # the last may have had no answer
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    state2 = MockState(answer=Scripted())
    with mock_server(state2, port) as (url2, _):  # the server comes back on its address
        assert url2 == url
        assert main(["llm", "run", str(cfg), "--out", str(out), "--no-report"]) == 0
    assert len(state.received) >= 8 and state2.received
    assert not stored & {_key(b) for b in state2.received}  # nothing answered is asked again


def _key(body: dict) -> str:
    return json.dumps([body["messages"], body["seed"]], sort_keys=True)
