"""Parameters of the planner's problem (MODEL.md §2), validated when made."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from steerherd.errors import ParameterError
from steerherd.model.costs import Cost, LinearCost, cost_from_dict
from steerherd.types import PLANNERS, Planner


@dataclass(frozen=True)
class Params:
    """Parameters of the planner's problem, validated when made.

    Args:
        planner: ``"altruistic"`` (everyone acts correctly) or ``"biased"`` (action G).
        p: baseline precision, in [0.5, 1).
        C: an agent's loss for a wrong action, > 0.
        delta: discount factor, in [0, 1); δ = 1 is allowed with a finite ``horizon``.
        cost: the cost β (default linear with k = 0.5, as ``steerherd solve``, the problem
            spec, the welfare tables and the LLM configs; steerherd 0.1.0 had k = 1:
            pass ``cost=LinearCost(1.0)`` for it).
        horizon: number of agents N for a finite-horizon problem, or None (infinite).
        prior: the common prior b₁ = P(ω = G), in [0, 1]; used for V(b₁) and simulation.

    Raises:
        ParameterError: naming the value and what is allowed.
    """

    planner: Planner = "altruistic"
    p: float = 0.7
    C: float = 1.0
    delta: float = 0.9
    cost: Cost = field(default_factory=lambda: LinearCost(0.5))
    horizon: int | None = None
    prior: float = 0.5

    def __post_init__(self) -> None:
        if self.planner not in PLANNERS:
            raise ParameterError(f"planner must be one of {list(PLANNERS)}, got {self.planner!r}")
        _check_real("p", self.p)
        if not 0.5 <= self.p < 1.0:
            raise ParameterError(f"p must be in [0.5, 1), got {self.p}")
        _check_real("C", self.C)
        if self.C <= 0:
            raise ParameterError(f"C must be > 0, got {self.C}")
        _check_real("delta", self.delta)
        if self.horizon is not None:
            if isinstance(self.horizon, bool) or not isinstance(self.horizon, int | np.integer):
                raise ParameterError(f"horizon must be a whole number >= 1, got {self.horizon!r}")
            if self.horizon < 1:
                raise ParameterError(f"horizon must be >= 1, got {self.horizon}")
            if not 0.0 <= self.delta <= 1.0:
                raise ParameterError(
                    f"delta must be in [0, 1] with a finite horizon, got {self.delta}"
                )
        elif not 0.0 <= self.delta < 1.0:
            raise ParameterError(
                f"delta must be in [0, 1) for an infinite horizon, got {self.delta}"
                " (delta = 1 needs a finite horizon: pass --horizon N)"
            )
        if not isinstance(self.cost, Cost):
            raise ParameterError(
                f"cost must be a steerherd cost (see steerherd.model.costs), got {self.cost!r}"
            )
        _check_real("prior", self.prior)
        if not 0.0 <= self.prior <= 1.0:
            raise ParameterError(f"prior must be in [0, 1], got {self.prior}")

    @property
    def altruistic(self) -> bool:
        """True for the altruistic planner (r_A), False for the biased one (r_B)."""
        return self.planner == "altruistic"

    @property
    def q_min(self) -> float:
        """Lowest precision the planner may choose: p (altruistic) or 1/2 (biased)."""
        return self.p if self.altruistic else 0.5

    def replace(self, **changes: Any) -> Params:
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; ``Params.from_dict`` inverts it for the built-in cost families."""
        return {
            "planner": self.planner,
            "p": self.p,
            "C": self.C,
            "delta": self.delta,
            "cost": self.cost.to_dict(),
            "horizon": self.horizon,
            "prior": self.prior,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Params:
        """Rebuild from ``to_dict`` output."""
        fields = dict(data)
        fields["cost"] = cost_from_dict(fields["cost"])
        return cls(**fields)


def _check_real(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise ParameterError(f"{name} must be a number, got {value!r}")
    if not math.isfinite(float(value)):
        raise ParameterError(f"{name} must be finite, got {value!r}")

