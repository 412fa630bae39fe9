"""Shared helpers for the LLM tests: a valid-answer responder and small configs."""

from __future__ import annotations

import json
import re
from typing import Any

from steerherd.llm.config import ExperimentConfig
from steerherd.llm.types import ChatRequest


def responder(req: ChatRequest) -> str:
    """A valid answer for any role, varying with the seed."""
    if req.schema_name == "agent_answer":
        return json.dumps({"belief_percent": req.seed % 101,
                           "action": "buy" if req.seed % 2 else "not_buy"})
    if req.schema_name == "planner_answer":
        return json.dumps({"precision_percent": 70 + req.seed % 31, "reason": "r"})
    text = req.messages[-1]["content"]
    verdict = "good" if "the car is good" in text else "bad"
    found = re.search(r"right (\d+)% of the time", text)
    pct = found.group(1) if found else "70"
    return json.dumps({"message": f"The car is {verdict}. This source is right {pct}% of the "
                                  "time."})


def small_config(**over: Any) -> ExperimentConfig:
    """Every experiment, a few units each."""
    data: dict[str, Any] = {
        "name": "t", "seed": 3,
        "beliefs": {"public_beliefs": [0.3, 0.5, 0.8], "precisions": [0.6, 0.9]},
        "policy": {"public_beliefs": [0.2, 0.5, 0.8], "planners": ["altruistic", "biased"],
                   "horizons": ["myopic", "forward"]},
        "sequential": {"runs": 2, "agents": 3, "planners": ["altruistic", "biased"],
                       "settings": ["analytical", "llm", "hybrid", "llm_planner_bayesian",
                                    "always_full", "always_full_llm"]},
    }
    data.update(over)
    return ExperimentConfig.model_validate(data)
