"""``steerherd llm estimate | run | report | replay`` end to end, over HTTP to a mock."""

from __future__ import annotations

import json

import pytest

from steerherd.cli import main
from steerherd.llm import analysis
from steerherd.llm.config import ModelConfig
from tests.llm_mock_server import MockState, mock_server

CONFIG = """
name = "cli"
prompt_version = "v1"
seed = 5
[backend]
kind = "openai"
base_url = "{url}"
model = "mock-model"
max_retries = 1
[calls]
max_calls = 500
concurrency = 2
[beliefs]
public_beliefs = [0.3, 0.8]
precisions = [0.7]
[policy]
public_beliefs = [0.2, 0.5, 0.8]
planners = ["altruistic", "biased"]
[sequential]
runs = 2
agents = 3
settings = ["analytical", "llm", "hybrid"]
"""


def test_estimate_run_report_replay(tmp_path, capsys):
    state = MockState()
    with mock_server(state) as (url, _):
        cfg = tmp_path / "cfg.toml"
        cfg.write_text(CONFIG.format(url=url))
        out = tmp_path / "run"
        assert main(["llm", "estimate", str(cfg)]) == 0
        est = capsys.readouterr().out
        assert "requests:" in est and "prompt tokens" in est
        assert main(["llm", "run", str(cfg), "--out", str(out)]) == 0
        sent = len(state.received)
        assert main(["llm", "run", str(cfg), "--out", str(out)]) == 0  # resume: nothing to do
        assert len(state.received) == sent
    text = (out / "report.md").read_text()
    for needle in ("mock-model", "temperature: 0.7", "prompt version: v1", "## Planner policy",
                   "## Agent beliefs", "## Sequential runs", "policy.png"):
        assert needle in text
    assert (out / "welfare.png").is_file() and (out / "beliefs.png").is_file()
    # k was stated in the planner prompts: replay cannot change it (issue 13.7)
    capsys.readouterr()
    assert main(["llm", "replay", str(out), "--set", "k=0.1"]) == 2
    err = capsys.readouterr().err
    assert "k is part of the stored answers" in err and "planner prompts" in err
    assert len(err.strip().splitlines()) == 1
    assert main(["llm", "replay", str(out), "--set", "p=0.6"]) == 2
    assert "the histories and the baseline precision" in capsys.readouterr().err
    # re-scoring under another analysis setting: no endpoint exists any more, nothing is sent
    assert main(["llm", "replay", str(out), "--set", "close_percent=100"]) == 0
    old = json.loads((out / "analysis.json").read_text())
    new = json.loads((out / "replay" / "analysis.json").read_text())
    assert old["calls"] == new["calls"]
    assert old["policy"] != new["policy"]  # the share counted as close moved with the threshold
    assert all(r["share_close"] == 1.0 for r in new["policy"].values())


def test_user_errors_exit_2(tmp_path, capsys):
    assert main(["llm", "report", str(tmp_path)]) == 2
    assert "no run store" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "b"\n[sequential]\nsettings = ["magic"]\n')
    assert main(["llm", "estimate", str(bad)]) == 2
    assert "settings" in capsys.readouterr().err


def test_deviation_and_welfare_definitions():
    model = ModelConfig(k=0.5)
    recs = [{"planner": "altruistic", "horizon": "myopic", "public_belief": 0.5, "ok": True,
             "precision": 0.85, "replicate": 0}]
    res = analysis.analyse_policy(recs, model)["altruistic|myopic"]
    q_star = res["rows"][0]["q_star"]
    assert q_star == pytest.approx(1.0)  # Theorem 1: k(1−p) = 0.15 < C(1−p): invest at b = 1/2
    assert res["rows"][0]["deviation"] == pytest.approx(abs(0.85 - q_star) / 0.5 * 100)
    run = {"planner": "altruistic", "horizon": "myopic", "state": "B",
           "steps": [{"precision": 1.0, "bought": False}, {"precision": 0.7, "bought": True}]}
    welfare, spend = analysis._score_run(run, model)
    assert welfare == 1.0 and spend == pytest.approx(0.5 * 0.3)
