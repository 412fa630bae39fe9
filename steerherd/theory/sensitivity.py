r"""Comparative statics: how the thresholds and V(prior) move with k, p and δ.

Central finite differences: for a parameter θ and a quantity y(θ) (a threshold or V at the
prior), the problem is re-solved at θ − h and θ + h on the same grid sizes and

    dy/dθ ≈ (y(θ + h) − y(θ − h)) / 2h,   left = (y(θ) − y(θ − h))/h,   right = (y(θ + h) − y(θ))/h.

Steps (:data:`STEPS`): h = 0.05 for k (times max(k, 1)), 0.01 for p and δ; at the edge of a
parameter's range the difference is one-sided and says so.

Thresholds are located between their two bracketing grid nodes by bisection on the
difference of the two regimes' Q-values, Q(b, q) = r(b, q) + δ E V(b'), with V interpolated
from the solution. The discretised threshold still jitters as θ moves (measured: about 0.4 of
a grid spacing), so each quantity carries an uncertainty u: half its bracket for a threshold,
the certificate's bound gap for V(prior); a derivative's is (u₋ + u₊)/h (central) and is
reported with it.

A *kink* is flagged when the one-sided slopes disagree by more than :data:`KINK_RTOL` of
their size plus their combined uncertainty (for a smooth y, right − left ≈ y''·h, so a 10%
disagreement at these steps needs |y''/y'| ≳ 10/h = 100–1000: a kink, not curvature), or when
the sequence of regimes differs between θ − h and θ + h.

Exact where differentiable: for V(prior) with respect to k and δ the envelope theorem gives
the derivative with the optimal policy σ held fixed, dV/dθ = (I − δP_σ)⁻¹ ∂r_σ/∂θ
(∂r/∂k = −β(|q − p|)/k, the cost being linear in k) and dV/dδ = (I − δP_σ)⁻¹ P_σ V; one
sparse solve each, reported as ``exact`` beside the finite difference. It is the derivative
wherever the optimal policy is locally unique (away from kinks).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from steerherd.agents import Bayesian
from steerherd.errors import ParameterError
from steerherd.model import Params, critical_precision, reward_from_actions, successors
from steerherd.model.costs import LinearCost, PowerCost
from steerherd.model.tolerances import KINK_ATOL, KINK_RTOL  # noqa: F401  (the table of tolerances)
from steerherd.solution import Solution

#: Finite-difference steps (k's is scaled by max(k, 1)).
STEPS = {"k": 0.05, "p": 0.01, "delta": 0.01}
_BISECT_STEPS = 60


@dataclass(frozen=True)
class Derivative:
    """d(quantity)/d(parameter) by finite differences.

    Attributes:
        quantity: ``V(prior)`` or a threshold name (``d_A``, ``t_A``, ``t_M``, ``t_1``, ``t_2``).
        parameter: ``k``, ``p`` or ``delta``.
        value: the central difference (one-sided at a range edge).
        left, right: the one-sided differences (None where that side is out of range).
        uncertainty: bound on the error of ``value`` from the discretisation (see above).
        exact: the envelope-theorem derivative (V(prior) by k or δ), else None.
        step: h.
        kink: one-sided slopes disagree, or the regimes change between the sides.
        note: why it is a kink, or that the difference is one-sided.
    """

    quantity: str
    parameter: str
    value: float | None
    left: float | None
    right: float | None
    uncertainty: float | None
    step: float
    kink: bool
    note: str = ""
    exact: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return dict(self.__dict__)


def q_value(sol: Solution, b: float, q: float, side: int = 0) -> float:
    """Q(b, q) = r(b, q) + δ E V(b') with V interpolated from the solution (Bayesian agents)."""
    par = sol.params
    bb, qq, ss = np.array([b]), np.array([q]), np.array([side])
    good_g, good_b = Bayesian().action_probs(bb, qq, ss)
    r = reward_from_actions(par, bb, qq, good_g, good_b)
    p_good, succ_g, succ_b, _ = successors(bb, good_g, good_b, ss)
    vp = np.append(sol.V, 0.0)

    def v_at(y: np.ndarray, s: np.ndarray) -> float:
        lo, lam = sol.grid.locate(y, s)
        return float(((1 - lam) * vp[lo] + lam * vp[lo + 1])[0])

    ev = p_good[0] * v_at(succ_g, ss) + (1 - p_good[0]) * v_at(succ_b, -ss)
    return float(r[0] + par.delta * ev)


def _mode_q(sol: Solution, mode: str, b: float) -> tuple[float, int]:
    m = float(np.maximum(critical_precision(b), sol.params.q_min))
    return {"baseline": (sol.params.p, 0), "full": (1.0, 0), "informative": (m, 0),
            "obfuscate": (m, -1), "escape": (m, 1), "tip": (m, 1)}.get(mode, (float("nan"), 0))


def precise_threshold(sol: Solution, name: str) -> float | None:
    """The threshold located between its bracketing nodes by bisection on Q differences.

    Where a side's regime has no formula (an interior optimum, a limit from above), the
    bracket's midpoint is returned.
    """
    thr = sol.thresholds.get(name)
    if thr is None or thr.exact or thr.lo == thr.hi:
        return None if thr is None else thr.value
    pos = sol.belief
    i_lo = int(np.flatnonzero(pos == thr.lo)[-1])
    i_hi = int(np.flatnonzero(pos == thr.hi)[0])
    left, right = str(sol.modes[i_lo]), str(sol.modes[i_hi])
    if not {left, right} <= {"baseline", "full", "informative", "obfuscate", "escape", "tip"}:
        return thr.value

    def diff(b: float) -> float:
        ql, sl = _mode_q(sol, left, b)
        qr, sr = _mode_q(sol, right, b)
        return q_value(sol, b, qr, sr) - q_value(sol, b, ql, sl)

    a, c = thr.lo, thr.hi
    fa = diff(a)
    if not np.isfinite(fa) or not np.isfinite(diff(c)):
        return thr.value
    for _ in range(_BISECT_STEPS):
        mid = 0.5 * (a + c)
        if (diff(mid) > 0) == (fa > 0):
            a, fa = mid, diff(mid)
        else:
            c = mid
    return 0.5 * (a + c)


Quantity = tuple[float | None, float]  # (value, uncertainty)


def _quantities(sol: Solution) -> tuple[dict[str, Quantity], tuple[str, ...]]:
    out: dict[str, Quantity] = {
        "V(prior)": (float(sol.value(sol.params.prior)), sol.certificate.gap)}
    for name, thr in sol.thresholds.items():
        u = 0.0 if thr is None else 0.5 * (thr.hi - thr.lo)
        out[name] = (precise_threshold(sol, name), u)
    # Regimes of a single node (a breakpoint's one-sided nodes) are grid detail, not structure.
    return out, tuple(r.mode for r in sol.regimes if r.hi > r.lo)


def _shifted(params: Params, name: str, value: float) -> Params:
    if name == "k":
        cost = params.cost
        if isinstance(cost, LinearCost):
            return params.replace(cost=LinearCost(k=value))
        if isinstance(cost, PowerCost):
            return params.replace(cost=PowerCost(k=value, alpha=cost.alpha))
        raise ParameterError(f"sensitivity to k needs a linear or power cost, got {cost.name!r}")
    return params.replace(**{name: value})


def _base_value(params: Params, name: str) -> float:
    return float(getattr(params.cost, "k", 0.0)) if name == "k" else float(getattr(params, name))


def sensitivity(params: Params, beliefs: int = 1001, precisions: int = 201, method: str = "pi",
                parameters: tuple[str, ...] = ("k", "p", "delta")) -> list[Derivative]:
    """Finite-difference derivatives of the thresholds and V(prior) (see the module text).

    A suspected kink (one-sided slopes disagree) is re-tested with the step halved: a kink's
    disagreement does not depend on the step, curvature's halves with it.

    Raises:
        ParameterError: for a finite horizon, a user cost (no k to vary) or an unknown name.
    """
    from steerherd.api import solve

    if params.horizon is not None:
        raise ParameterError("sensitivity is for the infinite-horizon problem; got horizon="
                             f"{params.horizon}")

    for name in parameters:
        if name not in STEPS:
            raise ParameterError(f"parameter must be one of {list(STEPS)}, got {name!r}")
    if "k" in parameters and not isinstance(params.cost, LinearCost | PowerCost):
        raise ParameterError(f"sensitivity to k needs a linear or power cost, got"
                             f" {params.cost.name!r}; pass parameters=('p', 'delta')")

    def at(name: str, value: float) -> tuple[dict[str, Quantity], tuple[str, ...]] | None:
        try:
            shifted = _shifted(params, name, value)
        except ParameterError:
            return None  # outside the parameter's range: one-sided difference
        return _quantities(solve(shifted, beliefs=beliefs, precisions=precisions, method=method))

    sol = solve(params, beliefs=beliefs, precisions=precisions, method=method)
    base = _quantities(sol)[0]
    exact = envelope_derivatives(sol, beliefs, precisions)
    out: list[Derivative] = []
    for name in parameters:
        x0 = _base_value(params, name)
        h = STEPS[name] * (max(x0, 1.0) if name == "k" else 1.0)
        derivs = _differences(name, h, base, {s: at(name, x0 + s * h) for s in (-1, 1)})
        if any("disagree" in d.note for d in derivs):
            half = _differences(name, h / 2, base, {s: at(name, x0 + s * h / 2) for s in (-1, 1)})
            derivs = [_confirm(d, d2) for d, d2 in zip(derivs, half, strict=True)]
        out.extend(replace(d, exact=exact.get(name)) if d.quantity == "V(prior)" else d
                   for d in derivs)
    return out


def envelope_derivatives(sol: Solution, beliefs: int, precisions: int) -> dict[str, float]:
    """dV(prior)/dk and dV(prior)/dδ with the optimal policy held fixed (envelope theorem)."""
    import scipy.sparse as sp
    import scipy.sparse.linalg as spla

    from steerherd.dp.policy import improve
    from steerherd.dp.solve import build_problem

    par = sol.params
    rows, _ = improve(build_problem(par, beliefs=beliefs, precisions=precisions), sol.V)
    n = sol.V.size
    pmat = rows.matrix()
    a = (sp.identity(n, format="csr") - par.delta * pmat).tocsc()
    lo, lam = sol.grid.locate(np.array([par.prior]))

    def at_prior(x: np.ndarray) -> float:
        xp = np.append(x, 0.0)
        return float(((1 - lam) * xp[lo] + lam * xp[lo + 1])[0])

    out = {"delta": at_prior(np.asarray(spla.spsolve(a, pmat @ sol.V)))}
    cost = par.cost
    if isinstance(cost, LinearCost | PowerCost):
        dist = np.abs(rows.q - par.p)
        d_reward = -(dist if isinstance(cost, LinearCost) else dist**cost.alpha)
        out["k"] = at_prior(np.asarray(spla.spsolve(a, d_reward)) if par.delta else d_reward)
    return out


def _confirm(full: Derivative, half: Derivative) -> Derivative:
    """Keep a slope-disagreement kink only if it does not halve with the step."""
    if "disagree" not in full.note or None in (full.left, full.right, half.left, half.right):
        return full
    gap_full = abs(full.right - full.left)  # type: ignore[operator]
    gap_half = abs(half.right - half.left)  # type: ignore[operator]
    if gap_half > 0.75 * gap_full:
        return full
    note = full.note.replace("one-sided slopes disagree", "curvature (the disagreement halves"
                             " with the step)")
    return Derivative(full.quantity, full.parameter, full.value, full.left, full.right,
                      full.uncertainty, full.step, "regimes change" in note, note)


def _signature(regimes: tuple[str, ...]) -> tuple[str, ...]:
    """Regime modes in order, consecutive repeats merged.

    The limits from above (``escape``, ``tip``) count as ``other`` here, as they did before
    they had names of their own: near-ties between such a limit and an interior grid
    optimum flicker with the step and are no change of regime.
    """
    coarse = tuple("other" if m in ("escape", "tip") else m for m in regimes)
    return tuple(m for i, m in enumerate(coarse) if i == 0 or m != coarse[i - 1])


def _differences(name: str, h: float, base: dict[str, Quantity], sides: dict[int, Any]
                 ) -> list[Derivative]:
    out = []
    lo, hi = sides[-1], sides[1]
    regime_change = lo is not None and hi is not None and _signature(lo[1]) != _signature(hi[1])
    for qty, (y0, u0) in base.items():
        y_lo, u_lo = (None, 0.0) if lo is None else lo[0].get(qty, (None, 0.0))
        y_hi, u_hi = (None, 0.0) if hi is None else hi[0].get(qty, (None, 0.0))
        left = None if y0 is None or y_lo is None else (y0 - y_lo) / h
        right = None if y0 is None or y_hi is None else (y_hi - y0) / h
        if left is not None and right is not None:
            value, unc = 0.5 * (left + right), (u_lo + u_hi) / h
            both = (u_lo + 2 * u0 + u_hi) / h
            kink = abs(right - left) > KINK_RTOL * max(abs(left), abs(right)) + both + KINK_ATOL
            note = "one-sided slopes disagree" if kink else ""
            if regime_change:
                kink, note = True, (note + "; " if note else "") + "regimes change"
        else:
            value = right if right is not None else left
            unc = None if value is None else (u0 + (u_hi if right is not None else u_lo)) / h
            kink, note = False, "one-sided (range edge or threshold absent)"
        out.append(Derivative(qty, name, value, left, right, unc, h, kink, note))
    return out
