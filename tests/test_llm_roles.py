"""Prompts, schemas, histories, configs and the analysis, with no endpoint."""

from __future__ import annotations

import math

import numpy as np
import pytest

from steerherd.errors import ParameterError
from steerherd.llm import roles
from steerherd.llm.config import ModelConfig, load_config
from steerherd.llm.experiments import belief_after, history_for_belief, optimal_percent
from steerherd.llm.schema import parse_answer
from steerherd.llm.sequential import optimum
from steerherd.model import is_informative, posterior

#: |belief − target| after rounding the last precision up to a whole percent: one percent
#: of precision moves the LLR by at most 1/(q(1−q)) × 0.01 ≤ 0.0404 at q = 0.99, i.e. the
#: belief by at most 0.0404/4 ≈ 0.0101.
ROUNDING_TOL = 0.0101


@pytest.mark.parametrize("target", [0.02, 0.1, 0.3, 0.45, 0.5, 0.55, 0.7, 0.8, 0.9, 0.98])
@pytest.mark.parametrize("p", [0.6, 0.7, 0.8])
def test_history_for_belief(target, p):
    steps, b = history_for_belief(target, p)
    assert abs(b - target) <= ROUNDING_TOL
    cur = 0.5
    for s in steps:  # every action is informative, and points the way of the target
        q = s.precision_percent / 100
        assert bool(is_informative(cur, q)) and s.bought == (target > 0.5)
        cur = float(posterior(cur, q, s.bought))
    assert math.isclose(cur, b) and math.isclose(belief_after(steps), b)


def test_prompts_render_every_role():
    params = ModelConfig().params("biased", True)
    hist = [roles.Step(70, True), roles.Step(80, False)]
    req = roles.planner_request(params, True, hist, 0.6, 0.7, 50)
    text = req.messages[0]["content"] + req.messages[1]["content"]
    assert "buy the car, whether it is good or bad" in text and "0.9^k" in text
    assert "Buyer 2: tip right 80% of the time; did not buy." in text and "60%" in text
    assert "$" not in text
    agent = roles.agent_request(roles.personas()[0], [], "Tip text.", 85, 0.7, 50)
    assert "right 85% of the time" in agent.messages[1]["content"]
    oracle = roles.oracle_request(False, 65, 0.7, 50)
    assert "the car is bad" in oracle.messages[1]["content"]
    assert "crash tests" in oracle.messages[1]["content"]
    with pytest.raises(ParameterError, match="v9"):
        roles.oracle_request(False, 65, 0.7, 50, version="v9")


def test_parse_answer():
    assert parse_answer("agent", '{"belief_percent": 30, "action": "not_buy"}').ok
    assert not parse_answer("agent", '{"belief_percent": 30.5, "action": "buy"}').ok
    assert not parse_answer("agent", '{"belief_percent": 30, "action": "maybe"}').ok
    assert not parse_answer("planner", '{"precision_percent": 40}').ok
    assert parse_answer("oracle", '```json\n{"message": "hi"}\n```').ok
    bad = parse_answer("agent", '{"belief_percent": 30, "action": "buy", "x": 1}')
    assert not bad.ok and bad.value is None and "x" in bad.error


def test_optimal_percent_keeps_the_optimum_effect():
    params = ModelConfig(k=0.5).params("biased", False)
    sol = optimum(params)
    for b in np.linspace(0.05, 0.95, 19):
        pct, mode = optimal_percent(params, sol, b), str(sol.mode(b))
        if mode == "informative":
            assert bool(is_informative(b, pct / 100))
        if mode == "obfuscate":
            assert not bool(is_informative(b, pct / 100))


def test_config_errors(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[calls]\ntemprature = 0.5\n')
    with pytest.raises(ParameterError, match="temprature"):
        load_config(bad)
    bad.write_text('name = "x"\n[model]\np = 1.5\n')
    with pytest.raises(ParameterError, match="p must be in"):
        load_config(bad)
    with pytest.raises(ParameterError, match="not found"):
        load_config(tmp_path / "none.toml")
    bad.write_text('name = "x"\nprompt_version = "v7"\n')
    with pytest.raises(ParameterError, match="prompt version 'v7'"):
        load_config(bad)


def test_local_server_refuses_a_missing_gguf(tmp_path):
    from steerherd.llm.local import local_server

    with pytest.raises(ParameterError, match="GGUF file not found"), \
            local_server(tmp_path / "none.gguf"):
        pass


def test_local_backend_without_the_extra(monkeypatch):
    import sys

    from steerherd.llm.local import local_server

    monkeypatch.setitem(sys.modules, "xllamacpp", None)  # import now raises ImportError
    with pytest.raises(ParameterError, match=r"steerherd\[local\]"), local_server():
        pass
