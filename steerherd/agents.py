"""Agent response models: P(action | ω, public belief, precision).

The DP and the simulator ask an agent model only for the probability that the next agent
takes action G given the true state, the public belief b and the precision q. The public
belief stays that of an observer who knows the agent model and sees (q, a).

* :class:`Bayesian` — the paper's agents (MODEL.md §1).
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np

from steerherd.model import Params, critical_precision, is_informative
from steerherd.types import ArrayLike, FloatArray, IntArray


@runtime_checkable
class AgentModel(Protocol):
    """What the solver and the simulator need from a model of the agents."""

    name: str

    def action_probs(
        self, b: ArrayLike, q: ArrayLike, side: IntArray | None = None
    ) -> tuple[FloatArray, FloatArray]:
        """(P(a = G | ω = G, b, q), P(a = G | ω = B, b, q)).

        ``side`` marks precisions that are one-sided limits: −1 for q ↑ the switching
        precision (from below), +1 for q ↓ it (from above), 0 for q itself.
        """
        ...

    def critical_precision(self, b: ArrayLike) -> FloatArray | None:
        """Precision at which the agent switches from ignoring to following its signal, or None."""
        ...

    def breakpoints(self, params: Params) -> tuple[float, ...]:
        """Beliefs in (0, 1) where the value function may jump (carried by the belief grid)."""
        ...

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description, stored with every result."""
        ...


class Bayesian:
    """The paper's Bayesian agents: follow the signal iff 1 − q ≤ b ≤ q (ties follow it).

    >>> gg, gb = Bayesian().action_probs(0.5, 0.8)
    >>> float(gg), float(gb)
    (0.8, 0.19999999999999996)
    """

    name = "bayesian"

    def action_probs(
        self, b: ArrayLike, q: ArrayLike, side: IntArray | None = None
    ) -> tuple[FloatArray, FloatArray]:
        b = np.asarray(b, dtype=np.float64)
        q = np.asarray(q, dtype=np.float64)
        informative = is_informative(b, q)
        if side is not None:
            informative = np.where(side < 0, False, np.where(side > 0, True, informative))
        cascade_good = np.where(b > 0.5, 1.0, 0.0)
        good_if_good = np.where(informative, q, cascade_good)
        good_if_bad = np.where(informative, 1.0 - q, cascade_good)
        return good_if_good, good_if_bad

    def critical_precision(self, b: ArrayLike) -> FloatArray:
        return critical_precision(b)

    def breakpoints(self, params: Params) -> tuple[float, ...]:
        # The tie at 1/2 makes the biased value jump there; 1 − p and p are where the free
        # precision p stops being informative.
        return tuple(sorted({1.0 - params.p, 0.5, params.p}))

    def to_dict(self) -> dict[str, Any]:
        return {"model": "bayesian"}

    def __repr__(self) -> str:
        return "Bayesian()"
