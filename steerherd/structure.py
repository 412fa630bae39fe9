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
escape         q ↓ max(b, 1 − b) ≥ p: the limit from above, not attained. The
               agent follows its signal, and a signal toward the planner's side
               sends the public belief just past 1/2. Theorem 5's "q* ≥ p on
               [t₁, 1 − p]", the last-ditch escape from the B cascade.
tip            q ↓ max(b, 1 − b) < p: the same limit from above, below the free
               precision: the precision is lowered to just above the tie, so that
               a favourable signal still tips the belief past 1/2. Theorem 5's
               "q* ≥ 1 − b on (1 − p, 1/2)" (can go below p).
other          an interior optimum (a grid or refined precision that is none of
               the above), or, for non-Bayesian agents, exactly q = max(b, 1 − b)
=============  ===============================================================

For Bayesian agents "max(b, 1 − b)" is the agent's switching precision and the crossing
precision at once. For other deterministic agents the two differ: ``informative`` and
``obfuscate`` refer to the agent's own switching precision; ``escape`` and ``tip`` to the
crossing precision max(b, 1 − b) (where a successor reaches 1/2), from above, or, rarely,
from below (a successor lands on 1/2 − 0 or 1/2 + 0; the side is in ``Solution.policy``).

How to play a limit: no precision attains it. ``Solution.policy(b)`` returns the limit
with its side; ``Solution.policy(b, margin=1e-6)`` returns playable precisions
q − margin (obfuscate) or q + margin (escape, tip), whose value is within about
β's modulus of continuity at the margin of the reported one.

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
    KIND_CROSS_ABOVE,
    KIND_CROSS_BELOW,
    KIND_FULL,
    KIND_SIDE,
    LIMIT_KINDS,
)
from steerherd.model import TIE_TOL, Params, critical_precision
from steerherd.types import ArrayLike, BoolArray, FloatArray, IntArray

MODES = ("baseline", "full", "informative", "obfuscate", "escape", "tip", "other")
_MODE_DTYPE = f"<U{max(len(m) for m in MODES)}"
#: Modes whose precision is a one-sided limit that no precision attains.
LIMIT_MODES = ("obfuscate", "escape", "tip")


def modes_of(
    params: Params, belief: FloatArray, q: FloatArray, kind: IntArray,
    crit: FloatArray | None = None,
) -> np.ndarray:
    """Mode names for chosen candidates (see the module table).

    ``crit`` is the agent model's switching precision at each node (default: the Bayesian
    max(b, 1 − b)); NaN where the agent has none (noisy agents: no ``informative`` mode).
    """
    m = critical_precision(belief) if crit is None else np.asarray(crit, dtype=np.float64)

    def near(a: FloatArray, b: FloatArray | float) -> BoolArray:
        return np.abs(a - b) <= TIE_TOL

    mode = np.full(belief.shape, "other", dtype=_MODE_DTYPE)
    mode[near(q, m)] = "informative"
    mode[near(q, 1.0)] = "full"
    mode[near(q, params.p)] = "baseline"
    mode[kind == KIND_BASELINE] = "baseline"
    mode[kind == KIND_FULL] = "full"
    mode[kind == KIND_BELOW] = "obfuscate"
    crossing = np.isin(kind, (KIND_ABOVE, KIND_CROSS_ABOVE, KIND_CROSS_BELOW))
    mode[crossing & (q >= params.p - TIE_TOL)] = "escape"
    mode[crossing & (q < params.p - TIE_TOL)] = "tip"
    return mode


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
    if position.size == 0:
        return []
    # A limit and an attained precision are never one regime, nor limits from two sides.
    side = KIND_SIDE[kind]
    change = (mode[1:] != mode[:-1]) | (side[1:] != side[:-1])
    edges = np.concatenate(([0], np.flatnonzero(change) + 1, [position.size]))
    limit = np.zeros(KIND_SIDE.size, dtype=bool)
    limit[list(LIMIT_KINDS)] = True
    regimes: list[Regime] = []
    for start, stop in zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True):
        sl = slice(start, stop)
        regimes.append(
            Regime(
                mode=str(mode[start]),
                lo=float(position[start]),
                hi=float(position[stop - 1]),
                formula=_formula(str(mode[start]), position[sl], kind[sl]),
                q_lo=float(q[sl].min()),
                q_hi=float(q[sl].max()),
                attained=not bool(limit[kind[sl]].any()),
            )
        )
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
    if mode in ("escape", "tip"):
        c = "max(b, 1-b)" if lo < 0.5 < hi else ("b" if lo >= 0.5 else "1-b")
        if np.all(KIND_SIDE[kind] < 0):
            return f"{c} - 0 (limit from below, not attained)"
        return f"{c} + 0 (limit from above, not attained)"
    if np.any(kind == KIND_CRITICAL):
        return f"mixed: {m} or interior"
    return "interior"


def obfuscation_run(
    params: Params, position: FloatArray, side: IntArray, mode: np.ndarray
) -> tuple[int, int] | None:
    """(first, last) node of the obfuscation run that ends at b = p, or None.

    This is Theorem 5's (t₂, p]: the maximal run of ``obfuscate`` nodes that contains the
    node at p itself (the point's own node where p is a breakpoint, else the last node at or
    below p) and does not reach below 1/2 + 0 (the right limit at 1/2 is its lowest node).
    """
    at_p = np.flatnonzero((np.abs(position - params.p) <= TIE_TOL) & (side == 0))
    p_node = int(at_p[0]) if at_p.size else int(np.flatnonzero(position <= params.p)[-1])
    if mode[p_node] != "obfuscate":
        return None
    first = p_node
    while first > 0 and mode[first - 1] == "obfuscate" and (
            position[first - 1] > 0.5 or (position[first - 1] == 0.5 and side[first - 1] == 1)):
        first -= 1
    return first, p_node


def t2_threshold(
    params: Params, position: FloatArray, side: IntArray, mode: np.ndarray
) -> Threshold | None:
    """Theorem 5's t₂: the start of the obfuscation run that ends at p (None if p is not in one).

    The one definition used by ``Solution.thresholds``, ``verify`` and the docs. Bracket: the
    node before the run and the run's first node; t₂ = 1/2 exactly when the run starts at the
    right limit 1/2 + 0 (obfuscation on all of (1/2, p]).
    """
    run = obfuscation_run(params, position, side, mode)
    if run is None:
        return None
    first = run[0]
    lo = float(position[first - 1]) if first > 0 else float(position[first])
    hi = float(position[first])
    return Threshold(0.5 * (lo + hi), lo, hi)


def extract_thresholds(
    params: Params, position: FloatArray, mode: np.ndarray, side: IntArray | None = None
) -> dict[str, Threshold | None]:
    """The paper's thresholds, each bracketed by the two grid nodes around it.

    Altruistic: ``d_A`` (first belief from 0 where the planner invests), ``t_A`` (first
    belief where it buys the perfect signal) and the closed form ``t_M``; with no investment
    on [0, 1/2], d_A = t_A = 1/2. Biased: ``t_1`` (first belief from 0 where the planner
    invests) and ``t_2`` (:func:`t2_threshold`: the start of the obfuscation run that ends
    at p, Theorem 5's (t₂, p]; None if p is not obfuscated). ``side`` is the grid's node
    sides (default: read from repeated positions, which sort as x−, x, x+).
    """
    if side is None:
        side = _sides_from_positions(position)
    if params.altruistic:
        left = position <= 0.5
        return {
            "d_A": _first(position, left & (mode != "baseline"), default=0.5),
            "t_A": _first(position, left & (mode == "full"), default=0.5),
            "t_M": Threshold(*(3 * (myopic_threshold(params),)), exact=True),
        }
    return {
        "t_1": _first(position, mode != "baseline", default=1.0),
        "t_2": t2_threshold(params, position, side, mode),
    }


def _sides_from_positions(position: FloatArray) -> IntArray:
    """Node sides of a grid whose breakpoints appear as three equal positions (x−, x, x+)."""
    side = np.zeros(position.size, dtype=np.int64)
    same = np.flatnonzero(np.diff(position) == 0.0)
    for i in same:
        if i == 0 or position[i - 1] != position[i]:  # the first of a triple
            side[i], side[i + 2] = -1, 1
    return side


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


# --- Theorem 4: the myopic biased planner (δ = 0); derivation in theory/thm4_myopic_biased.py ---
#
# With δ = 0 the planner maximises r_B(b, q) = −β(|q − p|) − C·P(a = B | b, q). Comparing the
# only candidates that can be optimal (p, the critical precision 1 − b, the supremum q ↑ b)
# gives three sign tests, each exact for any concave β:
#
#   b ∈ [0, 1 − p):   invest q = 1 − b  iff  f(b) = 2C·b(1 − b) − β(1 − p − b) > 0
#   b ∈ [1 − p, 1/2): lower to q = 1 − b iff  h(b) = C·x(2p − 1 − 2x) − β(x) > 0,  x = b − (1 − p)
#   b ∈ (1/2, p]:     obfuscate q ↑ b    iff  g(b) = C(p + b − 2bp) − β(p − b) > 0
#   b = 1/2 and b > p: q = p.
#
# Ties (f, h or g = 0) go to the baseline, as in the solver's candidate order. q = 1 is never
# optimal. f increases strictly (one root t₁); g is convex (its non-positive set is one
# interval [t₄, t₅]); h's positive set is the interval (t₂, t₃) for the linear and power
# families (h(x)/x is concave there).

def myopic_biased_tests(params: Params, b: ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Theorem 4's sign tests (f, h, g) at beliefs b (each meaningful on its own interval)."""
    b = np.asarray(b, dtype=np.float64)
    p, c, beta = params.p, params.C, params.cost
    f = 2.0 * c * b * (1.0 - b) - beta(np.clip(1.0 - p - b, 0.0, None))
    x = np.clip(b - (1.0 - p), 0.0, None)
    h = c * x * (2.0 * p - 1.0 - 2.0 * x) - beta(x)
    g = c * (p + b - 2.0 * b * p) - beta(np.clip(p - b, 0.0, None))
    return f, h, g


def myopic_biased_policy(params: Params, b: ArrayLike) -> tuple[FloatArray, np.ndarray]:
    """Theorem 4's optimal myopic biased policy, exact for any concave β.

    Args:
        params: a biased problem (δ is ignored: this is the δ = 0 policy).
        b: beliefs.

    Returns:
        ``(q, mode)``: the precision (for ``obfuscate``, the supremum b that is approached
        from below and not attained) and the mode name (baseline, informative, obfuscate).
    """
    b = np.asarray(b, dtype=np.float64)
    p = params.p
    f, h, g = myopic_biased_tests(params, b)
    invest = (b < 1.0 - p) & (f > 0.0)
    lower = (b >= 1.0 - p) & (b < 0.5) & (h > 0.0)
    obfuscate = (b > 0.5) & (b <= p) & (g > 0.0)
    mode = np.full(b.shape, "baseline", dtype=object)
    mode[invest | lower] = "informative"
    mode[obfuscate] = "obfuscate"
    q = np.where(invest | lower, 1.0 - b, np.where(obfuscate, b, p))
    return q, mode.astype(str)


def myopic_biased_value(params: Params, b: ArrayLike) -> FloatArray:
    """V(b) of :func:`myopic_biased_policy` (the optimal myopic biased value)."""
    b = np.asarray(b, dtype=np.float64)
    p, c, beta = params.p, params.C, params.cost
    _, mode = myopic_biased_policy(params, b)
    base_loss = np.where(b > p, 0.0, np.where(b < 1.0 - p, 1.0, b * (1 - p) + (1 - b) * p))
    inform = -beta(np.abs(1.0 - b - p)) - c * (1.0 - 2.0 * b + 2.0 * b * b)
    obf = -beta(np.clip(p - b, 0.0, None))
    return np.where(mode == "informative", inform, np.where(mode == "obfuscate", obf,
                                                            -c * base_loss))


def myopic_biased_thresholds(params: Params) -> dict[str, float]:
    """Theorem 4's thresholds t₁ ≤ 1 − p ≤ t₂ ≤ t₃ ≤ 1/2 ≤ t₄ ≤ t₅ ≤ p.

    Linear cost β = k·x (closed form, derived in theory/thm4_myopic_biased.py):
    t₁ = [(2C + k) − √((2C + k)² − 8Ck(1 − p))]/(4C); t₂ = 1 − p;
    t₃ = max(1 − p, 1/2 − k/(2C)); t₄ = 1/2; t₅ = clip(p(k − C)/(k + C(1 − 2p)), 1/2, p) when
    k > C(2p − 1), else t₅ = 1/2. Other costs: the roots of f, h and g, bracketed on a fine
    grid and refined by Brent's method. Empty regimes collapse (t₂ = t₃, t₄ = t₅ = 1/2).
    """
    from steerherd.model.costs import LinearCost

    p, c = params.p, params.C
    if isinstance(params.cost, LinearCost):
        k = params.cost.k
        t1 = ((2 * c + k) - np.sqrt((2 * c + k) ** 2 - 8 * c * k * (1 - p))) / (4 * c)
        t3 = max(1 - p, 0.5 - k / (2 * c))
        t5 = 0.5
        if k > c * (2 * p - 1):
            t5 = float(np.clip(p * (k - c) / (k + c * (1 - 2 * p)), 0.5, p))
        return {"t1": float(t1), "t2": 1 - p, "t3": float(t3), "t4": 0.5, "t5": t5}
    return _thresholds_by_roots(params)


def _thresholds_by_roots(params: Params) -> dict[str, float]:
    from scipy.optimize import brentq

    p = params.p

    def roots(i: int, lo: float, hi: float) -> list[float]:
        def fn(x: float) -> float:
            return float(myopic_biased_tests(params, np.array([x]))[i][0])

        xs = np.linspace(lo, hi, 4001)
        ys = myopic_biased_tests(params, xs)[i]
        pos = ys > 0
        out = []
        for j in np.flatnonzero(pos[1:] != pos[:-1]):
            out.append(brentq(fn, xs[j], xs[j + 1], xtol=1e-14) if ys[j] * ys[j + 1] < 0
                       else float(xs[j + 1] if ys[j + 1] == 0 else xs[j]))
        return out

    r1 = roots(0, 0.0, 1 - p)
    r_h = roots(1, 1 - p, 0.5)
    r_g = roots(2, 0.5, p)
    t2, t3 = (r_h[0], r_h[-1]) if len(r_h) >= 2 else ((1 - p, r_h[0]) if r_h else (1 - p, 1 - p))
    if len(r_g) >= 2:
        t4, t5 = r_g[0], r_g[-1]
    elif len(r_g) == 1:
        t4, t5 = 0.5, r_g[0]
    else:
        t4 = t5 = 0.5
    return {"t1": r1[0] if r1 else 0.0, "t2": t2, "t3": t3, "t4": t4, "t5": t5}
