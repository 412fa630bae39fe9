"""The agent-belief analysis on a scripted Bayesian agent: every weight of the Behavioral
fit must come out 1 (needs steerherd.agents.fit_behavioral_beliefs from the populations work)."""

from __future__ import annotations

import json
import re

import pytest

from steerherd.llm.analysis import analyse_beliefs
from steerherd.llm.client import FakeChat
from steerherd.llm.runner import execute, open_store
from steerherd.llm.types import ChatRequest
from steerherd.model import is_informative, posterior
from tests.llm_helpers import responder, small_config

#: Reports are whole percents: a rounding error of 0.5 point moves logit r by at most
#: 0.005 / (r(1 − r)) ≈ 0.1 at r = 0.05, the most extreme report on this grid; least squares
#: over 40 rows averages it down, and 0.1 on a weight of 1 bounds it with room.
WEIGHT_TOL = 0.1


def bayesian_agent(req: ChatRequest) -> str:
    """Answers like a Bayesian agent, reading the history and its tip from the prompt."""
    if req.schema_name != "agent_answer":
        return responder(req)
    text = req.messages[-1]["content"]
    b = 0.5
    for pct, act in re.findall(r"tip right (\d+)% of the time; (bought|did not buy)", text):
        q = int(pct) / 100
        if is_informative(b, q):
            b = float(posterior(b, q, act == "bought"))
    q = int(re.search(r"source that is right (\d+)% of the time", text).group(1)) / 100
    good = "The car is good" in text
    post = float(posterior(b, q, good))
    buy = good if abs(post - 0.5) < 1e-12 else post > 0.5  # a tie follows the signal
    return json.dumps({"belief_percent": round(100 * post), "action": "buy" if buy else "not_buy"})


def test_bayesian_agent_analysis(tmp_path):
    cfg = small_config(policy=None, sequential=None,
                       beliefs={"public_beliefs": [0.1, 0.3, 0.4, 0.6, 0.7, 0.9],
                                "precisions": [0.6, 0.7, 0.8, 0.9], "signals": ["good", "bad"]})
    store = open_store(cfg, tmp_path)
    execute(cfg, store, FakeChat(responder=bayesian_agent))
    res = analyse_beliefs(store.records("beliefs"))
    assert res["parsed"] == res["n"] == 48
    for side in ("agree", "contradict"):  # the full Bayesian update, up to rounding
        assert res["update_ratio"][side][0] == pytest.approx(1.0, abs=0.05)
    assert res["follow_rate"]["inside"][0] == 1.0
    assert res["follow_rate"].get("outside", (0.0,))[0] == 0.0
    fit = res["behavioral_fit"]
    if not fit["available"]:
        pytest.skip(fit["note"])
    for name in ("w_prior", "w_agree", "w_disagree"):
        assert fit["beliefs"]["estimates"][name] == pytest.approx(1.0, abs=WEIGHT_TOL)
    assert "error" in fit["actions"]  # a deterministic agent separates: refused, not faked
