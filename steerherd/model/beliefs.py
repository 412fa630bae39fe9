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

import numpy as np

from steerherd.types import ArrayLike, BoolArray, FloatArray

#: Beliefs and precisions closer than this are equal. A tie such as q = max(b, 1 − b) that is
#: exact on paper can be off by an ulp in floating point; it must still count as a tie.
TIE_TOL = 1e-12


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

