"""Policy structure: modes, regimes and thresholds, and the myopic closed forms.

Modes (one per belief):

=============  ===============================================================
mode           precision
=============  ===============================================================
baseline       q = p
full           q = 1
informative    q = max(b, 1 − b), attained (the agent just follows its signal)
obfuscate      q ↑ max(b, 1 − b): the limit from below, not attained (the agent
               ignores its signal; the paper's b − ε)
other          anything else: interior optima and the limit from above
=============  ===============================================================

Theorem 1 (myopic altruistic planner, MODEL.md §3): invest q = 1 iff b ∈ (t_M, 1 − t_M), else
q = p, with t_M = β(1 − p)/C when β(1 − p) < C(1 − p) and t_M = 1/2 otherwise. Endpoint ties
(b = t_M, where both choices are worth the same) go to the baseline: the planner does not pay
for indifference (our reading; it matches the open interval in the theorem).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from steerherd.dp.bellman import (
    KIND_ABOVE,
    KIND_BASELINE,
    KIND_BELOW,
    KIND_CRITICAL,
    KIND_FULL,
)
from steerherd.model import TIE_TOL, Params, critical_precision
from steerherd.types import ArrayLike, FloatArray, IntArray

MODES = ("baseline", "full", "informative", "obfuscate", "other")


def modes_of(
    params: Params, belief: FloatArray, q: FloatArray, kind: IntArray,
    crit: FloatArray | None = None,
) -> np.ndarray:
    """Mode names for chosen candidates (see the module table).

    ``crit`` is the agent model's switching precision at each node (default: the Bayesian
    max(b, 1 − b)); NaN where the agent has none (noisy agents: no ``informative`` mode).
    """
    m = critical_precision(belief) if crit is None else np.asarray(crit, dtype=np.float64)
    near = lambda a, b: np.abs(a - b) <= TIE_TOL  # noqa: E731
    mode = np.full(belief.shape, "other", dtype=object)
    mode[near(q, m)] = "informative"
    mode[near(q, 1.0)] = "full"
    mode[near(q, params.p)] = "baseline"
    mode[kind == KIND_BASELINE] = "baseline"
    mode[kind == KIND_FULL] = "full"
    mode[kind == KIND_BELOW] = "obfuscate"
    mode[kind == KIND_ABOVE] = "other"
    return mode.astype(str)


@dataclass(frozen=True)
class Regime:
    """A maximal run of grid nodes with one mode.

    Attributes:
        mode: the mode.
        lo, hi: beliefs of the first and last node of the run (the boundary with the next
            regime lies between ``hi`` and the next node).
        formula: the precision as a formula of b, e.g. ``max(b, 1-b)`` or ``p``.
        q_lo, q_hi: least and greatest precision on the run.
        attained: False when the precision is a supremum that no precision attains.
    """

    mode: str
    lo: float
    hi: float
    formula: str
    q_lo: float
    q_hi: float
    attained: bool

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class Threshold:
    """A threshold: its estimate and the bracket [lo, hi] that must contain it.

    ``exact`` marks closed forms (then lo = hi = value).
    """

    value: float
    lo: float
    hi: float
    exact: bool = False

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict."""
        return dict(self.__dict__)


def extract_regimes(
    params: Params, position: FloatArray, q: FloatArray, kind: IntArray, mode: np.ndarray
) -> list[Regime]:
    """Maximal runs of one mode over the (sorted) grid nodes."""
    regimes: list[Regime] = []
    # A limit from above and an interior optimum are both "other" but not one regime.
    key = [(str(md), k == KIND_ABOVE) for md, k in zip(mode, kind, strict=True)]
    start = 0
    for i in range(1, position.size + 1):
        if i < position.size and key[i] == key[start]:
            continue
        sl = slice(start, i)
        regimes.append(
            Regime(
                mode=str(mode[start]),
                lo=float(position[start]),
                hi=float(position[i - 1]),
                formula=_formula(str(mode[start]), position[sl], kind[sl]),
                q_lo=float(q[sl].min()),
                q_hi=float(q[sl].max()),
                attained=not bool(np.any((kind[sl] == KIND_BELOW) | (kind[sl] == KIND_ABOVE))),
            )
        )
        start = i
    return regimes


def _formula(mode: str, position: FloatArray, kind: IntArray) -> str:
    lo, hi = float(position.min()), float(position.max())
    m = "max(b, 1-b)" if lo < 0.5 < hi else ("b" if lo >= 0.5 else "1-b")
    if mode == "baseline":
        return "p"
    if mode == "full":
        return "1"
    if mode == "informative":
        return m
    if mode == "obfuscate":
        return f"{m} - 0 (sup from below, not attained)"
    if np.all(kind == KIND_ABOVE):
        return f"{m} + 0 (limit from above, not attained)"
    if np.any(kind == KIND_CRITICAL):
        return f"mixed: {m} or interior"
    return "interior"


def extract_thresholds(
    params: Params, position: FloatArray, mode: np.ndarray
) -> dict[str, Threshold | None]:
    """The paper's thresholds, each bracketed by the two grid nodes around it.

    Altruistic: ``d_A`` (first belief from 0 where the planner invests), ``t_A`` (first
    belief where it buys the perfect signal) and the closed form ``t_M``; with no investment
    on [0, 1/2], d_A = t_A = 1/2. Biased: ``t_1`` (first belief from 0 where the planner
    invests) and ``t_2`` (start of the obfuscation interval in (1/2, p]; None if empty).
    """
    if params.planner == "altruistic":
        left = position <= 0.5
        return {
            "d_A": _first(position, left & (mode != "baseline"), default=0.5),
            "t_A": _first(position, left & (mode == "full"), default=0.5),
            "t_M": Threshold(*(3 * (myopic_threshold(params),)), exact=True),
        }
    upper = (position > 0.5) & (position <= params.p + TIE_TOL)
    return {
        "t_1": _first(position, mode != "baseline", default=1.0),
        "t_2": _first(position, upper & (mode == "obfuscate"), default=None),
    }


def _first(position: FloatArray, mask: np.ndarray, default: float | None) -> Threshold | None:
    hits = np.flatnonzero(mask)
    if hits.size == 0:
        return None if default is None else Threshold(default, default, default)
    i = int(hits[0])
    lo = float(position[i - 1]) if i > 0 else float(position[i])
    hi = float(position[i])
    return Threshold(0.5 * (lo + hi), lo, hi)


def myopic_threshold(params: Params) -> float:
    """Theorem 1's t_M = β(1 − p)/C if β(1 − p) < C(1 − p), else 1/2."""
    full_cost = float(params.cost(1.0 - params.p))
    return full_cost / params.C if full_cost < params.C * (1.0 - params.p) else 0.5


def myopic_altruistic_policy(params: Params, b: ArrayLike) -> FloatArray:
    """Theorem 1's policy: q = 1 on (t_M, 1 − t_M), q = p elsewhere (any valid cost)."""
    b = np.asarray(b, dtype=np.float64)
    t_m = myopic_threshold(params)
    return np.where((b > t_m) & (b < 1.0 - t_m), 1.0, params.p)
