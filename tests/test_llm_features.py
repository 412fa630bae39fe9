"""Shared response cache, per-role backends and temperatures, personas, the oracle check,
rate limits and the pre-flight estimate (issue 13.2, 13.4, 13.5, 13.8)."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest

from steerherd.cli import main
from steerherd.llm.config import ExperimentConfig
from steerherd.llm.types import normalise_endpoint
from tests.llm_helpers import Scripted
from tests.llm_mock_server import MockState, mock_server

CONFIG = """
name = "features"
seed = 7
[backend]
kind = "openai"
base_url = "{url}"
model = "mock-model"
{backend_extra}
[calls]
max_calls = 500
concurrency = 2
[beliefs]
public_beliefs = [0.3, 0.8]
precisions = [0.7]
replicates = {reps}
[policy]
public_beliefs = [0.2, 0.5]
"""


def _cfg(path: Path, url: str, reps: int = 1, backend_extra: str = "") -> Path:
    path.write_text(CONFIG.format(url=url, reps=reps, backend_extra=backend_extra))
    return path


def _calls(out: Path) -> list[dict]:
    with sqlite3.connect(out / "run.sqlite") as db:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute("SELECT * FROM calls ORDER BY id")]


# --- 13.4 the shared response cache -------------------------------------------------------

def test_shared_cache_across_directories_spellings_and_replicates(tmp_path):
    state = MockState(answer=Scripted())
    cache = tmp_path / "cache"
    with mock_server(state) as (url, _):
        run = ["--no-report", "--cache-dir", str(cache)]
        assert main(["llm", "run", str(_cfg(tmp_path / "a.toml", url)), "--out",
                     str(tmp_path / "a"), *run]) == 0
        first = len(state.received)
        assert first > 0
        # the same experiment in a new directory, spelled with localhost and a slash
        local = url.replace("127.0.0.1", "localhost") + "/"
        assert main(["llm", "run", str(_cfg(tmp_path / "b.toml", local)), "--out",
                     str(tmp_path / "b"), *run]) == 0
        assert len(state.received) == first
        assert {c["source"] for c in _calls(tmp_path / "b")} == {"cache"}
        # one more replicate: only the new replicate's calls are sent
        assert main(["llm", "run", str(_cfg(tmp_path / "c.toml", url, reps=2)), "--out",
                     str(tmp_path / "c"), *run]) == 0
        new = len(state.received) - first
        assert 0 < new < first + 1
        # --no-cache sends everything again
        assert main(["llm", "run", str(_cfg(tmp_path / "d.toml", url)), "--out",
                     str(tmp_path / "d"), "--no-report", "--no-cache"]) == 0
        assert len(state.received) - first - new == first


def test_endpoint_normalisation():
    assert normalise_endpoint("http://LOCALHOST:8000/v1/") == "http://127.0.0.1:8000/v1"
    assert normalise_endpoint("https://api.openai.com:443/v1") == "https://api.openai.com/v1"
    assert normalise_endpoint("local:x.gguf:1:ab") == "local:x.gguf:1:ab"


# --- 13.2 roles ---------------------------------------------------------------------------

def test_per_role_backends_models_and_temperatures(tmp_path):
    planner_state = MockState(answer=Scripted(), served_model="planner-model")
    state = MockState(answer=Scripted())
    with mock_server(planner_state) as (planner_url, _), mock_server(state) as (url, _):
        extra = (f'[backend.planner]\nbase_url = "{planner_url}"\nmodel = "planner-model"\n'
                 "temperature = 0.0\n[backend.oracle]\ntemperature = 1.1\n")
        out = tmp_path / "run"
        assert main(["llm", "run", str(_cfg(tmp_path / "a.toml", url, backend_extra=extra)),
                     "--out", str(out)]) == 0
    assert planner_state.received and all(b["model"] == "planner-model"
                                          for b in planner_state.received)
    assert all(b["temperature"] == 0.0 for b in planner_state.received)
    assert all(b["model"] == "mock-model" for b in state.received)
    temps = {json.loads(c["request"])["temperature"] for c in _calls(out) if c["role"] == "oracle"}
    assert temps == {1.1}
    models = json.loads((out / "analysis.json").read_text())["run"]["models"]
    assert models["planner"]["model"] == "planner-model" and models["agent"]["model"] == \
        "mock-model" and models["planner"]["served"] == "planner-model"


# --- 13.8 what the model is shown ---------------------------------------------------------

def test_personas_recorded_and_drawn_per_unit(tmp_path):
    state = MockState(answer=Scripted())
    with mock_server(state) as (url, _):
        cfg = _cfg(tmp_path / "a.toml", url, reps=3)
        out = tmp_path / "run"
        assert main(["llm", "run", str(cfg), "--out", str(out), "--no-report"]) == 0
    agents = [c for c in _calls(out) if c["role"] == "agent"]
    assert all(c["persona"] and c["persona"] in json.loads(c["request"])["messages"][0]["content"]
               for c in agents)
    assert len({c["persona"] for c in agents}) > 1  # not one persona for every answer


def test_oracle_tip_is_checked_and_retried(tmp_path):
    calls = {"n": 0}

    def sloppy(req):  # type: ignore[no-untyped-def]
        if req.schema_name == "oracle_answer":
            calls["n"] += 1
            if calls["n"] % 2:  # every other tip states another reliability
                return json.dumps({"message": "The car is good. Right 90% of the time."})
        return Scripted()(req)

    state = MockState(answer=sloppy)
    with mock_server(state) as (url, _):
        out = tmp_path / "run"
        assert main(["llm", "run", str(_cfg(tmp_path / "a.toml", url)), "--out", str(out),
                     "--no-cache"]) == 0
    oracle = [c for c in _calls(out) if c["role"] == "oracle"]
    bad = [c for c in oracle if not c["parse_ok"]]
    assert bad and all("not exactly 70%" in c["parse_error"] for c in bad)
    stats = json.loads((out / "analysis.json").read_text())["calls"]["oracle"]
    assert stats["valid_share"] == pytest.approx(1 - len(bad) / len(oracle))
    assert "Oracle tips that state the requested reliability" in (out / "report.md").read_text()


@pytest.mark.parametrize(("message", "ok"), [
    ("The car is good. This source is right 70% of the time.", True),
    ("Great safety: a good car. This source is right 70 percent of the time.", True),
    ("The car is good. This source is right 75% of the time.", False),
    ("The car is good. This source is right 70% of the time, 10% better than most.", False),
    ("The car is bad. This source is right 70% of the time.", False),
    ("<the tip>", False),
    ("Strong crash tests. This source is right 70% of the time.", False),
])
def test_oracle_check(message, ok):
    from steerherd.llm import roles
    from steerherd.llm.schema import OracleAnswer

    check = roles.oracle_check(True, 70)
    assert (check(OracleAnswer(message=message)) is None) == ok


def test_planner_sees_belief_to_a_tenth_and_the_rule():
    from steerherd.llm import roles
    from steerherd.llm.config import ModelConfig

    params = ModelConfig().params("biased", False)
    req = roles.planner_request(params, False, [], 0.1552, 0.7, 50)
    text = req.messages[0]["content"] + req.messages[1]["content"]
    assert "good at 15.5%" in text
    assert "follows their own tip only when the tip is at least as reliable" in text


# --- 13.5 rate limits and the estimate -----------------------------------------------------

def test_tokens_per_minute_limit_waits():
    from steerherd.llm.ratelimit import RateLimiter

    lim = RateLimiter(tokens_per_minute=600)  # 10 tokens a second, a minute's worth at start
    assert lim.acquire(600) == 0.0
    t0 = time.monotonic()
    waited = lim.acquire(5)
    assert 0.4 <= time.monotonic() - t0 <= 1.5 and waited >= 0.4


def test_requests_per_minute_limit_spaces_calls(tmp_path):
    from steerherd.llm.ratelimit import RateLimiter

    lim = RateLimiter(requests_per_minute=120)  # 2 a second after the first minute's burst
    for _ in range(120):
        lim.acquire(1)
    t0 = time.monotonic()
    lim.acquire(1)
    lim.acquire(1)
    assert 0.8 <= time.monotonic() - t0 <= 2.0


def test_estimate_exact_bound_and_money(tmp_path, capsys):
    from steerherd.llm.client import FakeChat
    from steerherd.llm.runner import estimate, execute, open_store
    from tests.llm_helpers import responder, small_config

    fixed = small_config(sequential=None)
    est = estimate(fixed)
    assert est.calls_exact and est.exact_calls == est.calls
    s = execute(fixed, open_store(fixed, tmp_path / "a"), FakeChat(responder=responder))
    assert s.sent == est.calls  # exact
    seq = small_config()
    est2 = estimate(seq)
    assert not est2.calls_exact and "upper bound" in est2.lines()[1]
    paid = ExperimentConfig.model_validate({
        "name": "m", "backend": {"kind": "openai", "base_url": "https://api.openai.com/v1",
                                 "model": "gpt-4o-mini"}, "policy": {}})
    lo, hi = estimate(paid).cost_usd  # type: ignore[misc]
    assert 0 < lo <= hi
    unknown = paid.model_copy(update={"backend": paid.backend.model_copy(
        update={"model": "my-model"})})
    assert "no price for my-model" in " ".join(estimate(unknown).lines())
    priced = ExperimentConfig.model_validate({**unknown.model_dump(), "prices": {
        "my-model": {"input_per_mtok": 1.0, "output_per_mtok": 2.0}}})
    assert estimate(priced).cost_usd is not None and not estimate(priced).unpriced


def test_default_concurrency_suits_the_backend():
    remote = ExperimentConfig.model_validate({"name": "r", "backend": {
        "kind": "openai", "base_url": "https://x.example/v1", "model": "m"}})
    assert remote.concurrency() == 8
    assert ExperimentConfig.model_validate({"name": "l"}).concurrency() == 1


def test_resolved_cell_plays_the_behavioral_optimum(tmp_path):
    """Behavioral(1, 0.7, 2.5) agents: the fit recovers them and the re-solved policy is
    the optimum against the fitted model."""
    from steerherd.agents import Behavioral
    from steerherd.api import solve
    from steerherd.llm.config import ModelConfig

    state = MockState(answer=Scripted(weights=(1.0, 0.7, 2.5)))
    text = CONFIG.replace("[policy]\npublic_beliefs = [0.2, 0.5]\n", (
        "[sequential]\nruns = 2\nagents = 4\nsettings = [\"resolved\"]\nplanners = "
        "[\"biased\"]\nhorizons = [\"myopic\"]\n")).replace(
        "public_beliefs = [0.3, 0.8]\nprecisions = [0.7]",
        "public_beliefs = [0.1, 0.3, 0.4, 0.6, 0.7, 0.9]\nprecisions = [0.6, 0.7, 0.8, 0.9]")
    with mock_server(state) as (url, _):
        cfg = tmp_path / "r.toml"
        cfg.write_text(text.format(url=url, reps=1, backend_extra=""))
        out = tmp_path / "run"
        assert main(["llm", "run", str(cfg), "--out", str(out), "--no-report"]) == 0
    with sqlite3.connect(out / "run.sqlite") as db:
        runs = [json.loads(d) for (d,) in db.execute(
            "SELECT data FROM records WHERE item LIKE 'resolved|%'")]
    assert len(runs) == 2 and all(r["ok"] for r in runs)
    w = runs[0]["fitted_weights"]
    assert w == pytest.approx([1.0, 0.7, 2.5], abs=0.01)
    sol = solve(ModelConfig().params("biased", False), agent=Behavioral(*[round(x, 6)
                                                                         for x in w]))
    for step in runs[0]["steps"]:
        assert step["precision"] == pytest.approx(
            min(1.0, max(0.5, round(100 * float(sol.policy(step["belief"]))) / 100)))


def test_model_grid_runs_each_model_and_labels_the_cells(tmp_path, capsys):
    state = MockState(answer=Scripted())
    with mock_server(state) as (url, _):
        text = CONFIG.replace('model = "mock-model"', 'models = ["model-a", "org/model-b"]')
        cfg = tmp_path / "g.toml"
        cfg.write_text(text.format(url=url, reps=1, backend_extra=""))
        assert main(["llm", "estimate", str(cfg)]) == 0
        assert "[model-a]" in capsys.readouterr().out
        out = tmp_path / "grid"
        assert main(["llm", "run", str(cfg), "--out", str(out)]) == 0
    sent = {b["model"] for b in state.received}
    assert sent == {"model-a", "org/model-b"}
    cells = json.loads((out / "grid.json").read_text())
    assert [c["label"] for c in cells] == ["model-a", "org_model-b"]
    assert cells[1]["models"] == {"planner": "org/model-b", "oracle": "org/model-b",
                                  "agent": "org/model-b"}
    assert cells[0]["config_sha256"] != cells[1]["config_sha256"]
    assert "| model-a | model-a |" in (out / "grid.md").read_text()


def test_model_grid_with_a_model_refused():
    from steerherd.errors import ParameterError
    from steerherd.files import validate

    with pytest.raises(ParameterError, match="not both"):
        validate(ExperimentConfig, {"name": "x", "backend": {"model": "a", "models": ["b"]}},
                 "x.toml")
