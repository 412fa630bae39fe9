"""Pydantic models of each role's answer, and parsing that records failure as data.

Percents are integers: llama.cpp's grammar does not enforce float bounds in a schema, and
integers are what the prompts ask for.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class AgentAnswer(BaseModel):
    """The agent's reported belief that the car is good, and its decision."""

    model_config = ConfigDict(extra="forbid")
    belief_percent: int = Field(ge=0, le=100, description="P(the car is good), in percent")
    action: Literal["buy", "not_buy"]


class PlannerAnswer(BaseModel):
    """The planner's precision for the next buyer's source."""

    model_config = ConfigDict(extra="forbid")
    precision_percent: int = Field(ge=50, le=100, description="how often the source is right")
    reason: str | None = Field(default=None, max_length=300)


class OracleAnswer(BaseModel):
    """The oracle's private message to the next buyer."""

    model_config = ConfigDict(extra="forbid")
    message: str = Field(min_length=1, max_length=1200)


ROLE_SCHEMAS: dict[str, type[BaseModel]] = {
    "agent": AgentAnswer, "planner": PlannerAnswer, "oracle": OracleAnswer,
}


@dataclass(frozen=True)
class Parsed:
    """The outcome of parsing one answer: the value, or why it failed (never a default)."""

    ok: bool
    value: dict[str, Any] | None
    error: str | None


def parse_answer(role: str, text: str, check: Any = None) -> Parsed:
    """Parse ``text`` as the role's JSON answer.

    Args:
        role: ``"agent"``, ``"planner"`` or ``"oracle"``.
        text: the raw reply.
        check: optional function of the validated model returning an error string or None
            (for example the altruistic planner's precision must be at least p).

    Returns:
        :class:`Parsed`; on failure ``ok`` is False and ``error`` says why.
    """
    model = ROLE_SCHEMAS[role]
    try:
        data = json.loads(_strip_fence(text))
    except json.JSONDecodeError as exc:
        return Parsed(False, None, f"not JSON: {exc.msg} at char {exc.pos}")
    try:
        obj = model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"]) or "answer"
        return Parsed(False, None, f"{loc}: {first['msg']}")
    if check is not None:
        problem = check(obj)
        if problem:
            return Parsed(False, None, problem)
    return Parsed(True, obj.model_dump(), None)


def _strip_fence(text: str) -> str:
    # Models without structured output often wrap JSON in a ``` fence.
    t = text.strip()
    if t.startswith("```"):
        t = t.split("\n", 1)[1] if "\n" in t else ""
        t = t.rsplit("```", 1)[0]
    return t.strip()


def schema_of(role: str) -> dict[str, Any]:
    """The JSON schema sent as ``response_format`` for ``role``."""
    return ROLE_SCHEMAS[role].model_json_schema()
