"""Certified violations of Theorem 2 (convexity of V_A*) from the continuous-problem bounds.

A grid failure of convexity may be the grid's. With certified bounds lower ≤ V* ≤ upper on
[0, 1] (:mod:`steerherd.dp.bounds`), a violation is **certified** when it holds for every
function between them: for beliefs b0 < b1 < b2,

    lower(b1) > ((b2 − b1)·upper(b0) + (b1 − b0)·upper(b2)) / (b2 − b0)

shows V*(b1) above the chord of V* through b0 and b2, so V* is not convex (no function
between the bounds is). The excess must beat a rounding allowance (:func:`ops.fp_margin`
plus a few ulps of the chord).

Triples tried: b1 at each failing grid belief and at the breakpoints 1 − p, 1/2, p; b0 = b1 − h
and b2 = b1 + r·h for h on a geometric scale from 1e-4 to 0.3 and r ∈ {1/2, 1, 2}. Bounds are
computed at tol = 1e-2, then 1e-3, then 1e-4, stopping at the first certificate or when the
time budget is spent (bounds reached when the budget ran out are still valid and are tried;
one refinement level may overrun the budget).

The same ladder, one per instance and one budget, also serves Theorem 3's order and the strict
claims (:func:`certify_instance`, :mod:`steerherd.theory.certified_claims`); their per-cell
facts cost a pass over the precision boxes, so they are computed only on bounds that arrive
within the budget.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from steerherd.dp.bounds import ops
from steerherd.dp.bounds.certify import Bounds, BoundsNotReached, certify
from steerherd.model import Params

#: Tolerances tried in turn (coarse bounds are cheap and often enough).
TOLS = (1e-2, 1e-3, 1e-4)
#: Default wall-clock budget per instance, seconds.
BUDGET_S = 20.0
#: Claims not worth a finer rung than this: t₂ < t₃ fails exactly where t₂ = t₃ = 1 − p,
#: which value bounds can never certify (:mod:`~steerherd.theory.certified_claims`), so
#: it does not drive the ladder past 1e-3 (it is still judged on any finer bounds computed).
FINEST_TOL = {"t2 < t3": 1e-3}


def chord_violation(bounds: Bounds, centres: list[float]) -> dict[str, Any] | None:
    """The triple with the largest certified excess lower(b1) − chord of upper, or None."""
    par = bounds.params
    c = np.unique(np.clip(np.r_[np.asarray(centres, float), 1.0 - par.p, 0.5, par.p],
                          0.0, 1.0))
    h = np.geomspace(1e-4, 0.3, 40)
    r = np.array([0.5, 1.0, 2.0])
    b1, hh, rr = (a.ravel() for a in np.meshgrid(c, h, r, indexing="ij"))
    b0, b2 = b1 - hh, b1 + rr * hh
    ok = (b0 >= 0.0) & (b2 <= 1.0)
    b0, b1, b2 = b0[ok], b1[ok], b2[ok]
    if b1.size == 0:
        return None
    lo1, _ = bounds.at(b1)
    _, up0 = bounds.at(b0)
    _, up2 = bounds.at(b2)
    chord = ((b2 - b1) * up0 + (b1 - b0) * up2) / (b2 - b0)
    slack = ops.fp_margin(bounds.upper, par.delta) + 1e-14 * (1.0 + np.abs(chord))
    excess = lo1 - chord - slack
    i = int(np.argmax(excess))
    if excess[i] <= 0.0:
        return None
    return {"b0": float(b0[i]), "b1": float(b1[i]), "b2": float(b2[i]),
            "lower_b1": float(lo1[i]), "chord": float(chord[i]), "excess": float(excess[i])}


def certify_concavity(params: Params, centres: list[float],
                      budget_s: float = BUDGET_S) -> dict[str, Any]:
    """Try to certify that V* is not convex (see the module docstring).

    Returns:
        ``certified`` (bool), ``timed_out`` (the budget ran out before a certificate),
        ``witness`` (the triple, or None), ``max_gap`` of the last bounds, ``seconds``.
    """
    out = certify_instance(params, centres, set(), budget_s)
    return out["concavity"]  # type: ignore[no-any-return]


def certify_instance(params: Params, centres: list[float] | None, claims: set[str],
                     budget_s: float = BUDGET_S) -> dict[str, Any]:
    """One ladder of bounds (:data:`TOLS`, within ``budget_s``) for every certified check.

    The chord test of Theorem 2 (when ``centres`` is given) and the verdicts of
    :func:`steerherd.theory.certified_claims.judge` for ``claims`` (``thm3`` for Theorem 3's
    order, or a strict claim's name). Each is tried on the bounds of every tolerance until
    it is final; a final result is kept (bounds at any tolerance are valid), and the ladder
    stops when all are final or the budget is spent (the bounds reached then are still used).

    A claim in :data:`FINEST_TOL` does not keep the ladder going past its tolerance.

    Returns:
        ``concavity`` (as :func:`certify_concavity` returns, or None without centres),
        ``claims`` (per name, the verdict plus ``tol``, the tolerance of the bounds that gave
        it), ``timed_out``, ``max_gap`` and ``tol`` of the last bounds, ``seconds``.
    """
    from steerherd.theory.certified_claims import decided, judge

    start = time.perf_counter()
    witness, gap, last_tol, timed_out = None, None, None, False
    verdicts: dict[str, Any] = {}
    open_claims = set(claims)
    for tol in TOLS:
        left = budget_s - (time.perf_counter() - start)
        if left <= 0.0:
            timed_out = True
            break
        try:
            bounds: Bounds | None = certify(params, tol=tol, max_seconds=left)
        except BoundsNotReached as exc:
            bounds, timed_out = exc.bounds, True
        if bounds is not None:
            gap, last_tol = bounds.max_gap, tol
            if centres is not None and witness is None:
                witness = chord_violation(bounds, centres)
            if open_claims and time.perf_counter() - start < budget_s:
                for name, verdict in judge(bounds, open_claims).items():
                    verdicts[name] = {**verdict, "tol": tol}
                    if decided({name: verdict}):
                        open_claims.discard(name)
        driving = {c for c in open_claims if tol > FINEST_TOL.get(c, 0.0)}
        if timed_out or ((centres is None or witness is not None) and not driving):
            break
    for name in claims - set(verdicts):  # never judged: the budget ran out first
        verdicts[name] = ({"violated": False, "witness": None} if name == "thm3"
                          else {"status": "undecided"}) | {"tol": None}
    seconds = time.perf_counter() - start
    concavity = None if centres is None else {
        "certified": witness is not None, "timed_out": timed_out and witness is None,
        "witness": witness, "max_gap": gap, "seconds": seconds}
    return {"concavity": concavity, "claims": verdicts,
            "timed_out": timed_out and bool(open_claims), "max_gap": gap, "tol": last_tol,
            "seconds": seconds}
