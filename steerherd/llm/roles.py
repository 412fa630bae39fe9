"""The three roles: render the versioned prompt templates into chat requests.

How the signal and its precision are conveyed (our definition; MODEL.md §4 leaves it open):

* The simulator draws the private signal s with P(s = ω) = q. The **oracle** is told the
  verdict s ("good"/"bad") and the precision as an integer percent, and writes a tip from
  the fact sheet that supports the verdict and ends "This source is right q% of the time."
* The **agent** sees the earlier buyers' (precision, decision) pairs, its persona, the tip,
  and (full observability) the precision again, stated by the harness next to the tip.
* The **planner** sees the same history, its objective (altruistic or biased), its horizon
  (myopic: the next buyer only; forward-looking: all later buyers, discount δ), the
  baseline p and the cost, the agents' decision rule (prompt v2: follow the tip only when
  its precision is at least max(b, 1 − b)), and optionally the Bayesian public belief at a
  configurable number of decimals (default 1: "15.5%"); it answers an integer percent.

Precisions travel as integer percents because that is what a prompt can state. The oracle's
tip is checked (:func:`oracle_check`): it must state the requested reliability (that percent
and no other) and the verdict, else it is a failed parse, asked again within the budget.
Personas are drawn per unit and replicate from the run seed (:func:`draw_persona`).

Templates live in ``steerherd/llm/prompts/VERSION/`` or in a directory given on the command
line (``--prompts DIR``); nothing else is read.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

from steerherd.errors import ParameterError
from steerherd.llm.schema import PlannerAnswer, schema_of
from steerherd.llm.types import ChatRequest
from steerherd.model import Params

PROMPT_VERSION = "v2"
_SPLIT = "=== user ==="


@dataclass(frozen=True)
class Step:
    """One earlier buyer as shown in a history: the tip's precision (%) and the decision."""

    precision_percent: int
    bought: bool


def template_text(version: str, role: str, prompt_dir: str | None = None) -> str:
    """The raw template of ``role``: from the package's ``prompts/VERSION/`` or ``prompt_dir``.

    Raises:
        ParameterError: the file is missing, unreadable, or lacks the separator line.
    """
    where = (f"steerherd/llm/prompts/{version}/" if prompt_dir is None else f"{prompt_dir}/")
    try:
        if prompt_dir is None:
            text = (resources.files("steerherd.llm") / "prompts" / version /
                    f"{role}.txt").read_text(encoding="utf-8")
        else:
            text = (Path(prompt_dir) / f"{role}.txt").read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        what = f"prompt version {version!r}" if prompt_dir is None else "the prompt directory"
        raise ParameterError(f"{what} has no {role}.txt in {where}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ParameterError(f"cannot read {where}{role}.txt ({exc})") from None
    if _SPLIT not in text:
        raise ParameterError(f"{where}{role}.txt has no line {_SPLIT!r} between the system "
                             "and the user message")
    return text


@cache
def _builtin(version: str, role: str) -> str:
    return template_text(version, role)


def template(version: str, role: str,
             prompt_dir: str | None = None) -> tuple[Template, Template]:
    """The (system, user) templates of ``role`` in prompt ``version`` (or ``prompt_dir``)."""
    text = _builtin(version, role) if prompt_dir is None else \
        template_text(version, role, prompt_dir)
    system, user = text.split(_SPLIT, 1)
    return Template(system.strip()), Template(user.strip())


def prompts_sha256(version: str, prompt_dir: str | None = None) -> str:
    """sha256 of everything a prompt is made from: the three templates, personas, fact sheet."""
    h = hashlib.sha256()
    for role in ("agent", "oracle", "planner"):
        h.update(template_text(version, role, prompt_dir).encode())
    for name in ("personas.toml", "fact_sheet.toml"):
        h.update(json_dump(_toml(name)).encode())
    return h.hexdigest()


def json_dump(obj: Any) -> str:
    """Canonical JSON (sorted keys, no spaces)."""
    import json

    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


@cache
def _toml(name: str) -> dict[str, Any]:
    text = (resources.files("steerherd.llm") / "prompts" / name).read_text(encoding="utf-8")
    return tomllib.loads(text)


def personas() -> list[str]:
    """The buyer personas (``prompts/personas.toml``)."""
    return list(_toml("personas.toml")["personas"])


def draw_persona(seed: int, key: str) -> str:
    """A persona drawn from the run seed and a unit's key (per unit and replicate)."""
    pool = personas()
    digest = hashlib.sha256(f"persona:{seed}:{key}".encode()).digest()
    return pool[int.from_bytes(digest[:4], "big") % len(pool)]


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
             max_tokens: int, prompt_dir: str | None = None) -> ChatRequest:
    system, user = template(version, role, prompt_dir)
    try:
        messages = ({"role": "system", "content": system.substitute(values)},
                    {"role": "user", "content": user.substitute(values)})
    except KeyError as exc:
        raise ParameterError(f"prompt {version}/{role}.txt uses an unknown field {exc}") from None
    except ValueError as exc:  # a stray "$" in a user's template
        raise ParameterError(f"prompt {version}/{role}.txt: {exc}") from None
    return ChatRequest(messages=messages, schema_name=f"{role}_answer", schema=schema_of(role),
                       temperature=temperature, max_tokens=max_tokens)


def agent_request(persona: str, history: Sequence[Step], message: str, precision_percent: int,
                  temperature: float, max_tokens: int,
                  version: str = PROMPT_VERSION, prompt_dir: str | None = None) -> ChatRequest:
    """The agent's request: persona, history, its tip and the tip's precision."""
    values = {"persona": persona, "history": render_history(history), "message": message,
              "precision_percent": precision_percent}
    return _request(version, "agent", values, temperature, max_tokens, prompt_dir)


def oracle_request(signal_good: bool, precision_percent: int, temperature: float,
                   max_tokens: int, version: str = PROMPT_VERSION,
                   prompt_dir: str | None = None) -> ChatRequest:
    """The oracle's request: write a tip conveying the drawn signal at the given precision."""
    values = {"fact_sheet": fact_sheet_text(), "verdict": "good" if signal_good else "bad",
              "precision_percent": precision_percent}
    return _request(version, "oracle", values, temperature, max_tokens, prompt_dir)


def oracle_check(signal_good: bool, precision_percent: int) -> Callable[[Any], str | None]:
    """Refuse a tip that does not state the requested reliability and verdict.

    Valid: the tip names ``precision_percent``% and no other percent, says the verdict
    ("good"/"bad") as a word, never says the car is the opposite, and is not the prompt's
    placeholder.
    """
    verdict, other = ("good", "bad") if signal_good else ("bad", "good")

    def check(ans: Any) -> str | None:
        msg = str(ans.message)
        low = msg.lower()
        if "<the tip>" in low:
            return "message: the prompt's placeholder, not a tip"
        stated = {float(x) for x in re.findall(r"(\d+(?:\.\d+)?)\s*(?:%|percent)", low)}
        if stated != {float(precision_percent)}:
            return (f"message: states reliability {sorted(stated) or 'none'}, not exactly "
                    f"{precision_percent}%")
        if not re.search(rf"\b{verdict}\b", low):
            return f"message: does not state the verdict {verdict!r}"
        if re.search(rf"\b(car|it|aurora e5) is (a |an )?{other}\b", low):
            return f"message: says the car is {other!r}, against the verdict {verdict!r}"
        return None

    return check


def planner_request(params: Params, forward: bool, history: Sequence[Step],
                    public_belief: float | None, temperature: float, max_tokens: int,
                    version: str = PROMPT_VERSION, belief_decimals: int = 1,
                    prompt_dir: str | None = None) -> ChatRequest:
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
        f"good at {percent_text(public_belief, belief_decimals)}%.\n")
    values = {
        "objective": objective, "horizon": horizon, "p_percent": p_pct, "range_text": range_text,
        "cost_text": (f"{full:.3g} wrong-decision equivalents to go all the way to 100% "
                      f"({_cost_shape(params)})"),
        "history": render_history(history), "belief_text": belief_text,
        "min_percent": round(100 * params.q_min),
    }
    return _request(version, "planner", values, temperature, max_tokens, prompt_dir)


def percent_text(x: float, decimals: int) -> str:
    """``100·x`` to ``decimals`` places, trailing zeros dropped (0.155 → "15.5", 0.6 → "60")."""
    text = f"{100 * x:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


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
