"""Compiled block bounds for the fast solver's sweep (optional: numba, off the CLI's path).

The same bounds as :func:`steerherd.dp.fast_sweep.block_bounds` (reward supremum plus δ times
the largest interpolated V over each successor's range), computed in one compiled loop per
node that descends from blocks of 128 grid precisions to single precisions, so that only
(nearly) exact bounds decide what is evaluated. Bounds decide only *what is evaluated*;
every Q-value that enters the result is still computed by the full solver's own numpy code,
so the result is the same with or without this module.

``import numba`` costs about 0.4 s, so this module is used only when numba is already
imported in the process (a sweep worker or a benchmark imports it on purpose) or when the
environment variable ``STEERHERD_KERNELS=numba`` asks for it; ``STEERHERD_KERNELS=numpy``
turns it off. The CLI never imports numba.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

#: Children per block when a surviving block is split.
SPLIT = 2
#: The widest block bounded first.
TOP = 128

_kernel: Any = None


def enabled() -> bool:
    """Whether the compiled bounds are to be used now (see the module docstring)."""
    choice = os.environ.get("STEERHERD_KERNELS", "auto")
    if choice == "numpy":
        return False
    if choice == "numba":
        return True
    return "numba" in sys.modules


def kernel() -> Callable[..., tuple[np.ndarray, np.ndarray, np.ndarray, int]] | None:
    """The compiled survivor search, or None where numba is not installed."""
    global _kernel
    if _kernel is None:
        try:
            import numba
        except ImportError:
            _kernel = False
            return None
        _compile_helpers()
        _kernel = numba.njit(cache=True)(_survivors)
    return _kernel or None


def _survivors(c0: int, c1: int, belief: np.ndarray, pos: np.ndarray, v: np.ndarray,
               table: np.ndarray, q_grid: np.ndarray, cost_grid: np.ndarray,
               j0: np.ndarray, floor: np.ndarray, stop: int, altruistic: bool, p: float,
               c: float, delta: float, slack: float, pad: float, capacity: int
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:  # pragma: no cover
    """Surviving single grid precisions (node, j, j + 1) for nodes c0..c1 − 1.

    Returns the three arrays and the count; a count above ``capacity`` means "call again
    with more room".
    """
    out_n = np.empty(capacity, np.int64)
    out_lo = np.empty(capacity, np.int64)
    out_hi = np.empty(capacity, np.int64)
    count = 0
    top_n = pos.size - 1
    stack_lo = np.empty(64, np.int64)
    stack_hi = np.empty(64, np.int64)
    for i in range(c0, c1):
        b = belief[i]
        fl = floor[i]
        start = TOP * (j0[i] // TOP)
        while start < stop:
            sp = 0
            stack_lo[0] = max(start, j0[i])
            stack_hi[0] = min(start + TOP, stop)
            sp = 1 if stack_lo[0] < stack_hi[0] else 0
            while sp > 0:
                sp -= 1
                lo = stack_lo[sp]
                hi = stack_hi[sp]
                qa = q_grid[lo]
                qb = q_grid[hi - 1]
                if qa > p:
                    cost = cost_grid[lo]
                elif qb < p:
                    cost = cost_grid[hi - 1]
                else:
                    cost = 0.0
                if altruistic:
                    loss = min(1.0 - qa, 1.0 - qb)
                else:
                    loss = min(b * (1.0 - qa) + (1.0 - b) * qa, b * (1.0 - qb) + (1.0 - b) * qb)
                ub = -cost - c * loss
                if delta != 0.0:
                    pga = b * qa + (1.0 - b) * (1.0 - qa)
                    pgb = b * qb + (1.0 - b) * (1.0 - qb)
                    ga = b * qa / pga if pga > 0 else b
                    gb = b * qb / pgb if pgb > 0 else b
                    ba = b * (1.0 - qa) / (1.0 - pga) if pga < 1 else b
                    bb = b * (1.0 - qb) / (1.0 - pgb) if pgb < 1 else b
                    mg = _max_over(pos, v, table, min(ga, gb), max(ga, gb), pad, top_n)
                    mb = _max_over(pos, v, table, min(ba, bb), max(ba, bb), pad, top_n)
                    e = max(pga * mg + (1.0 - pga) * mb, pgb * mg + (1.0 - pgb) * mb)
                    ub += delta * e
                ub += slack * max(1.0, abs(ub))
                if ub < fl:
                    continue
                if hi - lo == 1:
                    if count < capacity:
                        out_n[count] = i
                        out_lo[count] = lo
                        out_hi[count] = hi
                    count += 1
                    continue
                width = max(1, (hi - lo + SPLIT - 1) // SPLIT)
                child = hi
                while child > lo:  # push the children, last first
                    child_lo = max(lo, child - width)
                    stack_lo[sp] = child_lo
                    stack_hi[sp] = child
                    sp += 1
                    child = child_lo
            start += TOP
    return out_n, out_lo, out_hi, count


def _max_over(pos: np.ndarray, v: np.ndarray, table: np.ndarray, y_lo: float, y_hi: float,
              pad: float, top: int) -> float:  # pragma: no cover
    """The interpolant's maximum over [y_lo, y_hi], widened as in fast_sweep._max_over."""
    a = np.searchsorted(pos, y_lo - pad)
    bnode = np.searchsorted(pos, y_hi + pad) - 1
    best = -np.inf
    if a <= bnode:
        a = min(a, top)
        bnode = max(bnode, 0)
        length = bnode - a + 1
        k = 0
        while (1 << (k + 1)) <= length:
            k += 1
        best = max(table[k, a], table[k, bnode - (1 << k) + 1])
    for y in (y_lo, y_hi):
        hi = min(np.searchsorted(pos, y), top)
        lo = max(hi - 1, 0)
        span = pos[hi] - pos[lo]
        if span > 0 and pos[lo] < y < pos[hi]:
            lam = (y - pos[lo]) / span
            best = max(best, (1.0 - lam) * v[lo] + lam * v[hi])
    return best


def _compile_helpers() -> None:
    """Make the helpers callable from the compiled kernel (they are compiled with it)."""
    import numba

    global _max_over
    _max_over = numba.njit(cache=True)(_max_over)
