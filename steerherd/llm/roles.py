"""The three roles: render the versioned prompt templates into chat requests.

How the signal and its precision are conveyed (our definition; MODEL.md §4 leaves it open):

* The simulator draws the private signal s with P(s = ω) = q. The **oracle** is told the
  verdict s ("good"/"bad") and the precision as an integer percent, and writes a tip from
  the fact sheet that supports the verdict and ends "This source is right q% of the time."
* The **agent** sees the earlier buyers' (precision, decision) pairs, its persona, the tip,
  and (full observability) the precision again, stated by the harness next to the tip.
* The **planner** sees the same history, its objective (altruistic or biased), its horizon
  (myopic: the next buyer only; forward-looking: all later buyers, discount δ), the
  baseline p and the cost, and optionally the Bayesian public belief; it answers an integer
  percent.

Precisions travel as integer percents because that is what a prompt can state.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from string import Template
from typing import Any

from steerherd.errors import ParameterError
from steerherd.llm.schema import PlannerAnswer, schema_of
from steerherd.llm.types import ChatRequest
from steerherd.model import Params

PROMPT_VERSION = "v1"
_SPLIT = "=== user ==="


@dataclass(frozen=True)
class Step:
    """One earlier buyer as shown in a history: the tip's precision (%) and the decision."""

    precision_percent: int
    bought: bool


@cache
def template(version: str, role: str) -> tuple[Template, Template]:
    """The (system, user) templates of ``role`` in prompt ``version``."""
    root = resources.files("steerherd.llm") / "prompts" / version
    try:
        text = (root / f"{role}.txt").read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ParameterError(f"prompt version {version!r} has no {role}.txt in "
                             f"steerherd/llm/prompts/{version}/") from None
    system, user = text.split(_SPLIT, 1)
    return Template(system.strip()), Template(user.strip())


@cache
def _toml(name: str) -> dict[str, Any]:
    text = (resources.files("steerherd.llm") / "prompts" / name).read_text(encoding="utf-8")
    return tomllib.loads(text)


def personas() -> list[str]:
    """The buyer personas (``prompts/personas.toml``)."""
    return list(_toml("personas.toml")["personas"])


def fact_sheet_text() -> str:
    """The fact sheet rendered as two bullet lists."""
    sheet = _toml("fact_sheet.toml")
    good = "\n".join(f"- {f}" for f in sheet["good"])
    bad = "\n".join(f"- {f}" for f in sheet["bad"])
    return f"In favour:\n{good}\nAgainst:\n{bad}"


def render_history(history: Sequence[Step]) -> str:
    """One line per earlier buyer, or a line saying there are none."""
    if not history:
        return "(none yet: you are the first buyer)"
    return "\n".join(
        f"Buyer {i}: tip right {s.precision_percent}% of the time; "
        f"{'bought' if s.bought else 'did not buy'}."
        for i, s in enumerate(history, 1)
    )


def _request(version: str, role: str, values: dict[str, Any], temperature: float,
             max_tokens: int) -> ChatRequest:
    system, user = template(version, role)
    try:
        messages = ({"role": "system", "content": system.substitute(values)},
                    {"role": "user", "content": user.substitute(values)})
    except KeyError as exc:
        raise ParameterError(f"prompt {version}/{role}.txt uses an unknown field {exc}") from None
    return ChatRequest(messages=messages, schema_name=f"{role}_answer", schema=schema_of(role),
                       temperature=temperature, max_tokens=max_tokens)


def agent_request(persona: str, history: Sequence[Step], message: str, precision_percent: int,
                  temperature: float, max_tokens: int,
                  version: str = PROMPT_VERSION) -> ChatRequest:
    """The agent's request: persona, history, its tip and the tip's precision."""
    values = {"persona": persona, "history": render_history(history), "message": message,
              "precision_percent": precision_percent}
    return _request(version, "agent", values, temperature, max_tokens)


def oracle_request(signal_good: bool, precision_percent: int, temperature: float,
                   max_tokens: int, version: str = PROMPT_VERSION) -> ChatRequest:
    """The oracle's request: write a tip conveying the drawn signal at the given precision."""
    values = {"fact_sheet": fact_sheet_text(), "verdict": "good" if signal_good else "bad",
              "precision_percent": precision_percent}
    return _request(version, "oracle", values, temperature, max_tokens)


def planner_request(params: Params, forward: bool, history: Sequence[Step],
                    public_belief: float | None, temperature: float, max_tokens: int,
                    version: str = PROMPT_VERSION) -> ChatRequest:
    """The planner's request; ``params.planner`` picks the objective, ``forward`` the horizon."""
    p_pct = round(100 * params.p)
    if params.altruistic:
        objective = ("Your goal: as many buyers as possible make the right decision (buy if the "
                     "car is good, pass if it is bad), net of what precision costs you.")
        range_text = f"You may only raise the precision, from {p_pct}% up to 100%."
    else:
        objective = ("Your goal: as many buyers as possible buy the car, whether it is good or "
                     "bad, net of what precision costs you.")
        range_text = (f"You may raise the precision up to 100% or lower it down to 50%; "
                      f"either way the cost grows with the distance from {p_pct}%.")
    if forward:
        horizon = ("You care about every future buyer: later buyers learn from earlier buyers' "
                   f"decisions. A buyer k places later counts {params.delta:g}^k as much as "
                   "the next one.")
    else:
        horizon = "You care only about the next buyer's decision; later buyers do not count."
    full = float(params.cost(1.0 - params.p))
    belief_text = "" if public_belief is None else (
        "\nFrom these decisions, a careful statistician puts the probability that the car is "
        f"good at {100 * public_belief:.0f}%.\n")
    values = {
        "objective": objective, "horizon": horizon, "p_percent": p_pct, "range_text": range_text,
        "cost_text": (f"{full:.3g} wrong-decision equivalents to go all the way to 100% "
                      f"({_cost_shape(params)})"),
        "history": render_history(history), "belief_text": belief_text,
        "min_percent": round(100 * params.q_min),
    }
    return _request(version, "planner", values, temperature, max_tokens)


def _cost_shape(params: Params) -> str:
    fam = params.cost.to_dict().get("family", "")
    return "the cost grows in proportion to the distance" if fam == "linear" else \
        "the cost grows with the distance, faster at first"


def planner_check(params: Params) -> Callable[[PlannerAnswer], str | None]:
    """Reject a precision outside the planner's range (altruistic: at least p)."""
    lo = round(100 * params.q_min)

    def check(ans: PlannerAnswer) -> str | None:
        if ans.precision_percent < lo:
            return f"precision_percent: {ans.precision_percent} is below the minimum {lo}"
        return None

    return check
