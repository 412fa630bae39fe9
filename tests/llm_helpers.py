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


class Scripted:
    """A scripted model that answers every role exactly, reading only what the prompt says.

    * oracle: "The car is VERDICT. This source is right Q% of the time." (a valid tip);
    * agent: the exact Bayesian posterior from the history and its tip (or a Behavioral agent
      with weights ``weights``), reported as a whole percent, acting on it (a tie follows
      the signal);
    * planner: the optimal whole-percent precision (``optimal_percent``) for the problem of
      ``model`` at the public belief shown in the prompt (computed from the history when the
      prompt shows none).

    The answers do not depend on the seed, so a retried request gets the same answer.
    """

    def __init__(self, model: Any = None, weights: tuple[float, float, float] | None = None,
                 ) -> None:
        from steerherd.llm.config import ModelConfig

        self.model = model or ModelConfig()
        self.weights = weights

    def __call__(self, req: ChatRequest) -> str:
        text = "\n".join(m["content"] for m in req.messages)
        if req.schema_name == "oracle_answer":
            verdict = "good" if "the car is good" in text else "bad"
            pct = re.search(r"right (\d+)% of the time", text).group(1)  # type: ignore[union-attr]
            return json.dumps({"message": f"The car is {verdict}. This source is right {pct}% of "
                                          "the time."})
        b = self._public_belief(text)
        if req.schema_name == "planner_answer":
            return json.dumps({"precision_percent": self._plan(text, b), "reason": "optimal"})
        q = int(re.search(r"source that is right (\d+)% of the time", text).group(1)) / 100  # type: ignore[union-attr]
        good = "The car is good" in text
        post = self._posterior(b, q, good)
        buy = good if abs(post - 0.5) < 1e-12 else post > 0.5
        return json.dumps({"belief_percent": round(100 * post),
                           "action": "buy" if buy else "not_buy"})

    @staticmethod
    def _public_belief(text: str) -> float:
        shown = re.search(r"car is good at ([\d.]+)%", text)
        if shown:
            return float(shown.group(1)) / 100
        from steerherd.model import is_informative, posterior

        b = 0.5
        for pct, act in re.findall(r"tip right (\d+)% of the time; (bought|did not buy)", text):
            q = int(pct) / 100
            if is_informative(b, q):
                b = float(posterior(b, q, act == "bought"))
        return b

    def _posterior(self, b: float, q: float, good: bool) -> float:
        from steerherd.agents import Behavioral, agreement, expit, logit
        from steerherd.model import posterior

        if self.weights is None:
            return float(posterior(b, q, good))
        Behavioral(*self.weights)  # validates the weights
        a = float(agreement(b, good))
        w = a * self.weights[1] + (1 - a) * self.weights[2]
        llr = (1 if good else -1) * float(logit(q))
        return float(expit(self.weights[0] * float(logit(b)) + w * llr))

    def _plan(self, text: str, b: float) -> int:
        from steerherd.llm.experiments import optimal_percent
        from steerherd.llm.sequential import optimum

        planner = "biased" if "whether it is good or bad" in text else "altruistic"
        forward = "You care about every future buyer" in text
        params = self.model.params(planner, forward)
        return optimal_percent(params, optimum(params), b)
