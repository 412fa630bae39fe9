r"""Compiled (numba) policy evaluation: :func:`steerherd.dp.evaluate.evaluate_rows`, same bits.

Part of the compiled kernel (:mod:`steerherd.dp.fast_numba` states the rules), imported only
with numba. :func:`evaluate` runs the method of :mod:`steerherd.dp.evaluate` (self-loops
first, the contraction with its stopping rule, the ``STALL`` stop and the projection that
gives up, the double-double correction) on the four interpolation weights of a belief-grid
policy's rows, in one compiled call instead of ~8 numpy passes per contraction step. It
performs the same floating-point operations in the same order for every entry as the numpy
code (sums left to right from 0.0, (δ·w)/(1 − δ s), Dekker's and Knuth's error-free steps
as written there; maxima are exact in any order, NaN propagating as in ``np.max``), without
fastmath (so no fused multiply-adds): the result is the numpy result bit for bit
(``tests/test_fast_evaluate.py``). It returns a status instead of calling the sparse LU:
:func:`evaluate_rows` decides, as :func:`steerherd.dp.evaluate._evaluate` does.
"""

# Scalar code on numpy arrays: element reads are Any to mypy.
# mypy: disable-error-code="no-any-return"
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from steerherd.dp import evaluate as ev
from steerherd.dp.evaluate import MAX_STEPS, STALL, TOL, UNIT_ROUNDOFF, WARMUP

if TYPE_CHECKING:
    from steerherd.dp.policy import PolicyRows
    from steerherd.types import FloatArray

#: The rounding bound's factor (m + 2)·u for the m = 4 interpolation weights.
_ROUND = (4 + 2) * UNIT_ROUNDOFF
_TWO_U = 2.0 * UNIT_ROUNDOFF
_DD = 64.0 * UNIT_ROUNDOFF * UNIT_ROUNDOFF


@njit(cache=True, inline="always")
def _node(lo_g: np.ndarray, lo_b: np.ndarray, c: int, i: int) -> int:  # pragma: no cover
    """The node weight c of row i falls on (:func:`steerherd.dp.evaluate.row_nodes`)."""
    if c == 0:
        return lo_g[i]
    if c == 1:
        return lo_g[i] + 1
    if c == 2:
        return lo_b[i]
    return lo_b[i] + 1


@njit(cache=True, inline="always")
def _max(m: float, x: float) -> float:  # pragma: no cover
    """The running maximum of ``np.max``: exact, and NaN once any entry is NaN."""
    return x if (x > m or x != x) else m


@njit(cache=True, inline="always")
def _split(a: float) -> tuple[float, float]:  # pragma: no cover
    """Dekker's split (:func:`steerherd.dp.evaluate._split`)."""
    t = 134217729.0 * a
    hi = t - (t - a)
    return hi, a - hi


@njit(cache=True, inline="always")
def _two_prod(a: float, b: float) -> tuple[float, float]:  # pragma: no cover
    """(fl(a·b), its error) (:func:`steerherd.dp.evaluate._two_prod`)."""
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


@njit(cache=True, inline="always")
def _two_sum(a: float, b: float) -> tuple[float, float]:  # pragma: no cover
    """(fl(a + b), its error) (:func:`steerherd.dp.evaluate._two_sum`)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


@njit(cache=True, error_model="numpy")
def _too_slow(steps: np.ndarray, rho: float, k: int) -> bool:  # pragma: no cover
    """:func:`steerherd.dp.evaluate._too_slow` on ``steps[:k]``."""
    last, back = steps[k - 1], steps[k - 4]
    rate = (last / back) ** (1.0 / 3.0) if back > 0 else 1.0
    if rate >= 1.0:
        return True
    need = math.log(TOL * (1.0 - rho) / last) / math.log(rate)
    return k + need > MAX_STEPS


@njit(cache=True, error_model="numpy")
def _contract(c: np.ndarray, lo_g: np.ndarray, lo_b: np.ndarray, off: np.ndarray, rho: float,
              extra: np.ndarray, has_extra: bool, stall: float, limit: int
              ) -> tuple[np.ndarray, float, float, bool]:  # pragma: no cover
    """:func:`steerherd.dp.evaluate._contract`: (V, truncation, rounding, found).

    The iterates live in two buffers of n + 1 entries whose last is 0 (the padded node n),
    used in turn (no copy per step).
    """
    n = c.size
    v = np.zeros(n + 1)
    v[:n] = c
    new = np.zeros(n + 1)
    steps = np.empty(MAX_STEPS)
    for k in range(1, min(limit, MAX_STEPS) + 1):
        step = 0.0
        top = 0.0
        for i in range(n):
            x = c[i]
            x += off[0, i] * v[lo_g[i]]
            x += off[1, i] * v[lo_g[i] + 1]
            x += off[2, i] * v[lo_b[i]]
            x += off[3, i] * v[lo_b[i] + 1]
            new[i] = x
            step = _max(step, abs(x - v[i]))
            top = _max(top, abs(x))
        if step / (1.0 - rho) <= TOL or step <= stall * top:
            size = -np.inf
            for i in range(n):
                s = 0.0
                s += off[0, i] * abs(v[lo_g[i]])
                s += off[1, i] * abs(v[lo_g[i] + 1])
                s += off[2, i] * abs(v[lo_b[i]])
                s += off[3, i] * abs(v[lo_b[i] + 1])
                e = _ROUND * (abs(c[i]) + s)
                if has_extra:
                    e = e + extra[i]
                size = _max(size, e)
            return v[:n], step / (1.0 - rho), size / (1.0 - rho), True
        v, new = new, v
        steps[k - 1] = step
        if k >= WARMUP and _too_slow(steps, rho, k):
            break
    return v[:n], 0.0, 0.0, False


@njit(cache=True)
def _residual(reward: np.ndarray, lo_g: np.ndarray, lo_b: np.ndarray, w: np.ndarray,
              delta: float, v: np.ndarray, vp: np.ndarray, d: np.ndarray, eta: np.ndarray
              ) -> bool:  # pragma: no cover
    """:func:`steerherd.dp.evaluate.residual` into ``d`` and ``eta``; whether all finite."""
    n = reward.size
    vp[:n] = v
    finite = True
    for i in range(n):
        hi = 0.0
        lo = 0.0
        size = 0.0
        for c in range(4):
            x = w[c, i]
            y = vp[_node(lo_g, lo_b, c, i)]
            p, pe = _two_prod(x, y)
            hi, se = _two_sum(hi, p)
            lo += pe + se
            size += abs(x) * abs(y)
        t, te = _two_prod(delta, hi)
        lo = te + delta * lo
        r = reward[i]
        s1, e1 = _two_sum(r, t)
        s2, e2 = _two_sum(s1, -v[i])
        di = s2 + (lo + e1 + e2)
        total = abs(r) + delta * size + abs(v[i])
        ei = _TWO_U * abs(di) + _DD * total
        d[i] = di
        eta[i] = ei
        finite = finite and math.isfinite(di) and math.isfinite(ei)
    return finite


@njit(cache=True, error_model="numpy")
def evaluate(reward: np.ndarray, lo_g: np.ndarray, lo_b: np.ndarray, w: np.ndarray,
             delta: float, limit: int) -> tuple[np.ndarray, bool]:  # pragma: no cover
    """:func:`steerherd.dp.evaluate._evaluate` for 0 < δ < 1 on rows' four weights.

    ``limit``: the first contraction's step limit (``budget or MAX_STEPS``). Returns (V, True),
    or (anything, False) where the numpy code would give None or call the sparse LU.
    """
    n = reward.size
    denom = np.empty(n)
    off = np.empty((4, n))
    rho = -np.inf if n else 0.0
    for i in range(n):
        s = 0.0
        for c in range(4):
            s += w[c, i] if _node(lo_g, lo_b, c, i) == i else 0.0
        denom[i] = 1.0 - delta * s
    for i in range(n):
        row = 0.0
        for c in range(4):
            a = 0.0 if _node(lo_g, lo_b, c, i) == i else delta * w[c, i] / denom[i]
            off[c, i] = a
            row += a
        rho = _max(rho, row)
    if not rho < 1.0:
        return reward, False
    cc = reward / denom
    if rho == 0.0:
        return cc, True
    v0, truncation, rounding, found = _contract(cc, lo_g, lo_b, off, rho, denom, False, STALL,
                                                limit)
    if not found:
        return v0, False
    if truncation <= TOL and rounding <= TOL:
        return v0, True
    d, eta = np.empty(n), np.empty(n)
    if not _residual(reward, lo_g, lo_b, w, delta, v0, np.zeros(n + 1), d, eta):
        return v0, False
    corr, truncation, rounding, found = _contract(d / denom, lo_g, lo_b, off, rho, eta / denom,
                                                  True, 0.0, MAX_STEPS)
    if not found:
        return v0, False
    v = v0 + corr
    top = 0.0
    for i in range(n):
        top = _max(top, abs(v[i]))
    return v, truncation <= TOL and rounding + UNIT_ROUNDOFF * top <= TOL


def evaluate_rows(rows: PolicyRows, delta: float, steps: int | None = None
                  ) -> FloatArray | None:
    """:func:`~steerherd.dp.evaluate.evaluate_rows`, or with ``steps`` ``try_evaluate_rows``.

    The same bits (and the same ParameterError for a bad δ); where the method needs the sparse
    LU, :func:`steerherd.dp.evaluate.lu_solve` is called as the numpy code calls it.
    """
    if not 0.0 < delta < 1.0:  # δ = 0 and a bad δ: as the numpy code answers them
        return ev.evaluate_rows(rows, delta) if steps is None else ev.try_evaluate_rows(
            rows, delta, steps)
    f64, i64 = np.float64, np.int64  # one compiled specialisation (no-op copies as a rule)
    v, ok = evaluate(np.ascontiguousarray(rows.reward, f64), np.ascontiguousarray(rows.lo_g, i64),
                     np.ascontiguousarray(rows.lo_b, i64), np.ascontiguousarray(rows.weights, f64),
                     float(delta), steps or MAX_STEPS)
    if ok:
        return v
    if steps is not None:
        return None
    return ev.lu_solve(rows.reward, ev.row_nodes(rows), list(rows.weights), delta)
