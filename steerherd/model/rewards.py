"""The planner's per-agent rewards r_A and r_B (MODEL.md §2), for any agent model."""

from __future__ import annotations

import numpy as np

from steerherd.model.beliefs import prob_action_bad, prob_error
from steerherd.model.params import Params
from steerherd.types import ArrayLike, FloatArray


def _f(x: ArrayLike) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


def cost_of(params: Params, q: ArrayLike) -> FloatArray:
    """The planner's cost β(|q − p|) of precision q."""
    return params.cost(np.abs(_f(q) - params.p))


def reward(params: Params, b: ArrayLike, q: ArrayLike) -> FloatArray:
    """The planner's per-agent reward r(b, q) (r_A or r_B by ``params.planner``)."""
    loss = prob_error(b, q) if params.altruistic else prob_action_bad(b, q)
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
    if params.altruistic:
        loss = b * (1.0 - g_g) + (1.0 - b) * g_b
    else:
        loss = b * (1.0 - g_g) + (1.0 - b) * (1.0 - g_b)
    return -cost_of(params, q) - params.C * loss
