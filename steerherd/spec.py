"""The one validated description of a problem: planner, p, C, δ, cost, horizon, agent, grid.

Every front end parses into :class:`ProblemSpec`: the ``solve`` options, sweep design points,
welfare configs and LLM configs. Validation therefore happens once, here, before any work
(a refused spec solves nothing, writes nothing and sends no call), and the CLI's choices are
generated from the literals below rather than declared again.

>>> spec = ProblemSpec(planner="biased", p=0.7, k=0.5, delta=0.9)
>>> spec.params().planner, spec.params().cost.to_dict()
('biased', {'family': 'linear', 'k': 0.5})
>>> parse_spec({"p": 1.2}, source="sweep.toml")
Traceback (most recent call last):
    ...
steerherd.errors.ParameterError: sweep.toml: p must be in [0.5, 1), got 1.2
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from steerherd.errors import ParameterError
from steerherd.types import (  # noqa: F401  (the limits are re-exported)
    BYTES_PER_PAIR,
    COST_FAMILIES,
    MAX_BELIEFS,
    MAX_GRID_PAIRS,
    MAX_PRECISIONS,
    MAX_RUNS,
    MAX_SWEEP_INSTANCES,
    MIN_BELIEFS,
    MIN_PRECISIONS,
    PLANNERS,
    CostFamily,
    Planner,
    grid_size_error,
    problem_error,
)

if TYPE_CHECKING:
    from steerherd.agents import AgentModel
    from steerherd.model import Params

__all__ = ["COST_FAMILIES", "PLANNERS", "AgentSpec", "CostFamily", "Planner", "ProblemSpec",
           "describe_error", "parse_spec"]

AgentKind = Literal["bayesian", "behavioral"]

#: The grid limits (MAX_BELIEFS, MAX_PRECISIONS, MIN_BELIEFS, MIN_PRECISIONS, MAX_GRID_PAIRS)
#: are imported above from steerherd.types; raise them here: the spec reads these names.
#: Work limits checked before anything is allocated; each names the option that raises it:
#: MAX_SWEEP_INSTANCES (steerherd sweep --max-instances) and MAX_RUNS (steerherd simulate
#: --max-runs) are imported above from steerherd.types, where the CLI reads them.
#: Agents per Monte Carlo run: the loop over agents is serial, ~1 µs per agent and run.
MAX_AGENTS = 1_000_000


class AgentSpec(BaseModel):
    """The agents' response model: the paper's Bayesian agents, or Behavioral weights."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    model: AgentKind = "bayesian"
    w_prior: float = 1.0
    w_agree: float = 1.0
    w_disagree: float = 1.0
    lam: float | None = None

    def build(self) -> AgentModel:
        """The agent model object the solver and the simulators take."""
        from steerherd.agents import Bayesian, Behavioral

        if self.model == "bayesian":
            return Bayesian()
        return Behavioral(self.w_prior, self.w_agree, self.w_disagree, self.lam)


class ProblemSpec(BaseModel):
    """A planner's problem and the grid it is solved on, validated when made.

    Attributes:
        planner: ``altruistic`` or ``biased``.
        p: baseline precision in [0.5, 1).
        C: loss of a wrong action, > 0.
        k: cost scale, >= 0.
        cost: ``linear`` (β(x) = k·x) or ``power`` (β(x) = k·x^α, needs ``alpha``).
        alpha: exponent of the power cost, in (0, 1]; only with ``cost = "power"``.
        delta: discount factor in [0, 1); 1 only with a finite ``horizon``.
        horizon: number of agents N, or None (``"inf"`` in files) for an infinite horizon.
        prior: the common prior P(ω = G), in [0, 1].
        beliefs: belief grid size.
        precisions: precision grid size.
        agent: the agents' response model.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    planner: Planner = "altruistic"
    p: float = 0.7
    C: float = 1.0
    k: float = 0.5
    cost: CostFamily = "linear"
    alpha: float | None = None
    delta: float = 0.9
    horizon: int | None = Field(default=None, ge=1)
    prior: float = 0.5
    beliefs: int = 1001
    precisions: int = 201
    agent: AgentSpec = AgentSpec()

    @field_validator("horizon", mode="before")
    @classmethod
    def _infinite(cls, value: Any) -> Any:
        return None if value in ("inf", "infinite", None) else value

    @field_validator("beliefs", "precisions", mode="before")
    @classmethod
    def _grid_size(cls, value: Any, info: Any) -> int:
        lo, hi = ((MIN_BELIEFS, MAX_BELIEFS) if info.field_name == "beliefs"
                  else (MIN_PRECISIONS, MAX_PRECISIONS))
        message = grid_size_error(info.field_name, value, lo, hi)
        if message is not None:
            raise ValueError(message)
        return int(value)

    @model_validator(mode="after")
    def _check(self) -> ProblemSpec:
        message = problem_error(self.cost, self.alpha, self.beliefs, self.precisions,
                                self.horizon, MAX_GRID_PAIRS)
        if message is not None:
            raise ValueError(message)
        self.params()  # the model's own checks (one set, in Params and the cost families)
        return self

    def params(self) -> Params:
        """The validated :class:`~steerherd.model.Params`."""
        from steerherd.model import Params, make_cost

        return Params(planner=self.planner, p=self.p, C=self.C, delta=self.delta,
                      horizon=self.horizon, prior=self.prior,
                      cost=make_cost(self.cost, k=self.k, alpha=self.alpha))

    def agent_model(self) -> AgentModel:
        """The agents' response model."""
        return self.agent.build()

    @classmethod
    def from_params(cls, params: Params, **grid: Any) -> ProblemSpec:
        """The spec of existing Params (built-in cost families only), with grid sizes."""
        cost = params.cost.to_dict()
        return cls(planner=params.planner, p=params.p, C=params.C, delta=params.delta,
                   horizon=params.horizon, prior=params.prior, k=cost["k"],
                   cost=cost["family"], alpha=cost.get("alpha"), **grid)


def parse_spec(data: Mapping[str, Any], source: str | None = None) -> ProblemSpec:
    """Validate a mapping into a ProblemSpec, or raise a one-line ParameterError.

    Args:
        data: the fields (from CLI options, a TOML section, a sweep point, ...).
        source: where they came from (a file, a section), put before the message; None for
            command-line options, whose names the message already uses.

    Raises:
        ParameterError: naming the first bad field, its value and what is allowed.
    """
    try:
        return ProblemSpec.model_validate(dict(data))
    except ValidationError as exc:
        message = describe_error(exc)
    except ParameterError as exc:  # raised by Params inside the model validator
        message = str(exc)
    raise ParameterError(message if source is None else f"{source}: {message}")


def describe_error(exc: ValidationError) -> str:
    """The first error of a pydantic ValidationError as one line: field, problem, value."""
    err = exc.errors(include_url=False)[0]
    where = ".".join(str(x) for x in err["loc"])
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "value_error" or not where:
        return msg
    value = err.get("input")
    shown = f"{value!r}" if not isinstance(value, float) or math.isfinite(value) else str(value)
    return f"{where}: {msg}, got {shown}"
