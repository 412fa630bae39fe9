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

from typing import Any

import numpy as np

from steerherd.model.tolerances import TIE_TOL  # noqa: F401  (the table of tolerances)
from steerherd.types import ArrayLike, BoolArray, FloatArray


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



def bayes_action_probs(
    b: Any, q: Any, side: Any = None, xp: Any = np
) -> tuple[Any, Any]:
    """The Bayesian action rule as probabilities: (P(a = G | ω = G), P(a = G | ω = B)).

    The agent follows its signal where 1 − q ≤ b ≤ q (ties follow it, within ``TIE_TOL``)
    and otherwise takes the cascade action, G if b > 1/2. A one-sided limit precision forces
    the side: ``side = −1`` (q ↑ max(b, 1 − b)) ignores the signal, ``side = +1`` follows it.
    Written against the array namespace ``xp`` (numpy or jax.numpy), so that the numpy
    reference and the JAX backend share one rule.

    >>> gg, gb = bayes_action_probs(np.array(0.8), np.array(0.7))
    >>> float(gg), float(gb)  # b > q: a G cascade whatever the state
    (1.0, 1.0)
    """
    informative = q >= xp.maximum(b, 1.0 - b) - TIE_TOL
    if side is not None:
        informative = xp.where(side < 0, False, xp.where(side > 0, True, informative))
    cascade_good = xp.where(b > 0.5, 1.0, 0.0)
    return xp.where(informative, q, cascade_good), xp.where(informative, 1.0 - q, cascade_good)


def successors(
    b: Any, good_g: Any, good_b: Any, side: Any = 0, xp: Any = np
) -> tuple[Any, Any, Any, Any]:
    r"""The one Bayes step of the public belief after the next agent's action.

    An observer who knows the agent model sees action G with probability
    ``P_G = b·P(G|G) + (1 − b)·P(G|B)`` and updates to ``b'_G = b·P(G|G)/P_G`` or
    ``b'_B = b·P(B|G)/(1 − P_G)``. Where the action reveals nothing (P(G|G) = P(G|B), a
    cascade) both successors are b. A limit from above (``side > 0``) keeps the agent
    informative even where q → 1/2 makes the signal itself worthless: its successors are
    then b ± 0, not b. An action of probability 0 gets successor b (it never happens).

    Every module that moves the public belief (the DP, the JAX backend, sensitivity, the
    simulators) calls this function; ``xp`` is numpy or jax.numpy.

    Args:
        b: public belief.
        good_g: P(a = G | ω = G, b, q), from an agent model.
        good_b: P(a = G | ω = B, b, q).
        side: −1, 0 or +1: the side of a one-sided limit precision (broadcast with b).
        xp: the array namespace.

    Returns:
        ``(p_good, succ_g, succ_b, moves)``: P(a = G), the two successors, and where the
        action is informative.

    >>> pg, bg, bb, moves = successors(np.array(0.5), np.array(0.8), np.array(0.2))
    >>> round(float(pg), 12), round(float(bg), 12), round(float(bb), 12), bool(moves)
    (0.5, 0.8, 0.2, True)
    """
    p_good = b * good_g + (1.0 - b) * good_b
    moves = (xp.abs(good_g - good_b) > 0.0) | (side > 0)
    succ_g = xp.where(moves & (p_good > 0), b * good_g / xp.where(p_good > 0, p_good, 1.0), b)
    succ_b = xp.where(moves & (p_good < 1),
                      b * (1.0 - good_g) / xp.where(p_good < 1, 1.0 - p_good, 1.0), b)
    return p_good, succ_g, succ_b, moves
