r"""The controlled social-learning model: parameters, beliefs, actions and rewards.

Notation (MODEL.md §1–2; Arghal, He, Saeedi Bidokhti and Sarkar, arXiv 2504.02648):

=======  =====================================================================
symbol   meaning
=======  =====================================================================
ω        unknown state, G or B, fixed for the whole run
b        public belief P(ω = G | history); the MDP state
q        precision of the next agent's private signal, P(s = ω) = q ∈ [0.5, 1]
p        baseline precision, free of charge, p ∈ [0.5, 1)
b̃        the agent's private posterior after its signal
C        an agent's loss for a wrong action (utility 0 if right, −C if wrong)
β        cost of moving the precision away from p, applied to |q − p|
δ        the planner's discount factor
=======  =====================================================================

Posteriors: ``b̃_G = qb / (qb + (1−q)(1−b))`` and ``b̃_B = (1−q)b / ((1−q)b + q(1−b))``.
The agent takes G if b̃ > 1/2, B if b̃ < 1/2 and follows its signal on a tie, so its action
reveals its signal exactly when ``1 − q ≤ b ≤ q``; otherwise it is in a cascade and the
public belief does not move. ``P(a ≠ ω | b, q) = min(b, 1 − b, 1 − q)``.

Rewards (per agent):

* altruistic, q ∈ [p, 1]:  ``r_A(b, q) = −β(q − p) − C·P(a ≠ ω | b, q)``
* biased (wants G), q ∈ [0.5, 1]:  ``r_B(b, q) = −β(|q − p|) − C·P(a = B | b, q)``

Every function here is vectorised over numpy arrays and works in float64.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

from steerherd.costs import Cost, LinearCost, cost_from_dict
from steerherd.errors import ParameterError
from steerherd.types import ArrayLike, BoolArray, FloatArray

Planner = Literal["altruistic", "biased"]
PLANNERS: tuple[str, ...] = ("altruistic", "biased")

#: Beliefs and precisions closer than this are equal. A tie such as q = max(b, 1 − b) that is
#: exact on paper can be off by an ulp in floating point; it must still count as a tie.
TIE_TOL = 1e-12


@dataclass(frozen=True)
class Params:
    """Parameters of the planner's problem, validated when made.

    Args:
        planner: ``"altruistic"`` (everyone acts correctly) or ``"biased"`` (action G).
        p: baseline precision, in [0.5, 1).
        C: an agent's loss for a wrong action, > 0.
        delta: discount factor, in [0, 1); δ = 1 is allowed with a finite ``horizon``.
        cost: the cost β (default linear with k = 1).
        horizon: number of agents N for a finite-horizon problem, or None (infinite).
        prior: the common prior b₁ = P(ω = G), in [0, 1]; used for V(b₁) and simulation.

    Raises:
        ParameterError: naming the value and what is allowed.
    """

    planner: Planner = "altruistic"
    p: float = 0.7
    C: float = 1.0
    delta: float = 0.9
    cost: Cost = field(default_factory=LinearCost)
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
                f"cost must be a steerherd cost (see steerherd.costs), got {self.cost!r}"
            )
        _check_real("prior", self.prior)
        if not 0.0 <= self.prior <= 1.0:
            raise ParameterError(f"prior must be in [0, 1], got {self.prior}")

    @property
    def q_min(self) -> float:
        """Lowest precision the planner may choose: p (altruistic) or 1/2 (biased)."""
        return self.p if self.planner == "altruistic" else 0.5

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


def _f(x: ArrayLike) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


def posterior(b: ArrayLike, q: ArrayLike, signal_good: ArrayLike) -> FloatArray:
    """Private posterior P(ω = G | b, s) after a signal of precision q.

    >>> float(posterior(0.5, 0.7, True))
    0.7
    """
    b, q = _f(b), _f(q)
    return np.where(np.asarray(signal_good, bool), posterior_good(b, q), posterior_bad(b, q))


def posterior_good(b: ArrayLike, q: ArrayLike) -> FloatArray:
    """b̃_G = qb / (qb + (1 − q)(1 − b)); defined as b where the denominator is 0."""
    b, q = _f(b), _f(q)
    num = q * b
    den = num + (1.0 - q) * (1.0 - b)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), b)


def posterior_bad(b: ArrayLike, q: ArrayLike) -> FloatArray:
    """b̃_B = (1 − q)b / ((1 − q)b + q(1 − b)); defined as b where the denominator is 0."""
    b, q = _f(b), _f(q)
    num = (1.0 - q) * b
    den = num + q * (1.0 - b)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), b)


def critical_precision(b: ArrayLike) -> FloatArray:
    """max(b, 1 − b): the smallest precision whose signal the agent still follows."""
    b = _f(b)
    return np.maximum(b, 1.0 - b)


def is_informative(b: ArrayLike, q: ArrayLike) -> BoolArray:
    """True where 1 − q ≤ b ≤ q, i.e. the agent follows its signal (ties included)."""
    return _f(q) >= critical_precision(b) - TIE_TOL


def action_good(b: ArrayLike, q: ArrayLike, signal_good: ArrayLike) -> BoolArray:
    """The agent's action (True = G): its signal where informative, else the cascade side.

    >>> bool(action_good(0.8, 0.7, False))  # b > q: a G cascade, the signal is ignored
    True
    """
    b = _f(b)
    return np.where(is_informative(b, q), np.asarray(signal_good, bool), b > 0.5)


def prob_signal_good(b: ArrayLike, q: ArrayLike) -> FloatArray:
    """P(s = G | b, q) = bq + (1 − b)(1 − q)."""
    b, q = _f(b), _f(q)
    return b * q + (1.0 - b) * (1.0 - q)


def prob_error(b: ArrayLike, q: ArrayLike) -> FloatArray:
    """P(a ≠ ω | b, q) = min(b, 1 − b, 1 − q)."""
    b, q = _f(b), _f(q)
    return np.minimum(np.minimum(b, 1.0 - b), 1.0 - q)


def prob_action_bad(b: ArrayLike, q: ArrayLike) -> FloatArray:
    """P(a = B | b, q): 0 if b > q, 1 if b < 1 − q, else b(1 − q) + (1 − b)q."""
    b, q = _f(b), _f(q)
    informative = b * (1.0 - q) + (1.0 - b) * q
    cascade = np.where(b > 0.5, 0.0, 1.0)
    return np.where(is_informative(b, q), informative, cascade)


def cost_of(params: Params, q: ArrayLike) -> FloatArray:
    """The planner's cost β(|q − p|) of precision q."""
    return params.cost(np.abs(_f(q) - params.p))


def reward(params: Params, b: ArrayLike, q: ArrayLike) -> FloatArray:
    """The planner's per-agent reward r(b, q) (r_A or r_B by ``params.planner``)."""
    loss = prob_error(b, q) if params.planner == "altruistic" else prob_action_bad(b, q)
    return -cost_of(params, q) - params.C * loss


def reward_from_actions(
    params: Params, b: ArrayLike, q: ArrayLike, good_if_good: ArrayLike, good_if_bad: ArrayLike
) -> FloatArray:
    """r(b, q) from any agent model's action probabilities.

    Args:
        params: the problem.
        b: public belief.
        q: precision.
        good_if_good: P(a = G | ω = G, b, q).
        good_if_bad: P(a = G | ω = B, b, q).

    Returns:
        −β(|q − p|) − C·loss, where loss is P(a ≠ ω) (altruistic) or P(a = B) (biased).
        For Bayesian agents this equals :func:`reward`.
    """
    b, g_g, g_b = _f(b), _f(good_if_good), _f(good_if_bad)
    if params.planner == "altruistic":
        loss = b * (1.0 - g_g) + (1.0 - b) * g_b
    else:
        loss = b * (1.0 - g_g) + (1.0 - b) * (1.0 - g_b)
    return -cost_of(params, q) - params.C * loss
