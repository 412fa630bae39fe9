r"""Compiled (numba) block bounds of the fast solver, and the grid location they share.

Part of the compiled kernel (:mod:`steerherd.dp.fast_numba`, which states the rules): the
coarse bound of :func:`steerherd.dp.fast_bounds.block_bounds` (:func:`bound`), the
second-order slope-anchored and chord bounds (:func:`tight_bound`), the choice between them
(:func:`block_bound`), and :func:`locate`, the grid's ``locate`` for one successor.
Imported only with numba, like :mod:`steerherd.dp.fast_numba`.
"""

# Scalar code on numpy arrays: element reads are Any to mypy.
# mypy: disable-error-code="no-any-return"
from __future__ import annotations

import math

import numpy as np
from numba import njit

_NEG = -np.inf


@njit(cache=True, inline="always")
def locate(y: float, side: int, pos: np.ndarray, left: np.ndarray, first: np.ndarray,
           last: np.ndarray, spacing: np.ndarray, right: np.ndarray, edges: np.ndarray,
           edge_node: np.ndarray, snap: float) -> tuple[int, float]:  # pragma: no cover
    """:meth:`steerherd.dp.grid.BeliefGrid.locate` for one successor.

    ``edge_node`` has three columns: the node of each edge on side −1, 0, +1.
    """
    y = min(max(y, 0.0), 1.0)
    seg = 0
    for k in range(1, left.size):
        if y > left[k]:
            seg += 1
    off = y - left[seg]
    step = int(math.floor(off / spacing[seg]))
    lo = first[seg] + min(max(step, 0), last[seg] - first[seg] - 1)
    lam = min(max((y - pos[lo]) / (pos[lo + 1] - pos[lo]), 0.0), 1.0)
    if off <= snap or right[seg] - y <= snap:
        for k in range(edges.size):
            if abs(y - edges[k]) <= snap:
                lo = edge_node[k, side + 1]
                lam = 0.0
    return lo, lam


@njit(cache=True, inline="always")
def _first_ge(pos: np.ndarray, cell_ge: np.ndarray, y: float) -> int:  # pragma: no cover
    """Index of the first node whose position is ≥ y (pos.size if none).

    ``cell_ge[c]`` is the first node at or above c / (cell_ge.size − 1) (a uniform partition
    four times finer than the grid, :func:`steerherd.dp.fast_bounds.node_lookup`): the start,
    corrected by a step or two either way, whatever rounding did to the cell.
    """
    cells = cell_ge.size - 1
    c = y * cells
    c = 0.0 if c < 0.0 else (float(cells) if c > cells else c)
    n = cell_ge[int(c)]
    size = pos.size
    while n < size and pos[n] < y:
        n += 1
    while n > 0 and pos[n - 1] >= y:
        n -= 1
    return n


@njit(cache=True, inline="always")
def _range_max(table: np.ndarray, log2: np.ndarray, lo: int, hi: int) -> float:
    """max(v[lo..hi]) inclusive from :func:`steerherd.dp.fast_bounds.range_table`."""
    k = log2[hi - lo + 1]
    return max(table[k, lo], table[k, hi - (1 << k) + 1])  # pragma: no cover


@njit(cache=True, inline="always")
def _max_over(pos: np.ndarray, cell_ge: np.ndarray, table: np.ndarray, log2: np.ndarray,
              v: np.ndarray, y_lo: float, y_hi: float, pad: float) -> float:  # pragma: no cover
    """:func:`steerherd.dp.fast_bounds._max_over` for one interval."""
    top = pos.size - 1
    a = _first_ge(pos, cell_ge, y_lo - pad)
    b = _first_ge(pos, cell_ge, y_hi + pad) - 1
    out = _NEG
    if a <= b:
        out = _range_max(table, log2, min(a, top), max(b, 0))
    for y in (y_lo, y_hi):
        hi = min(_first_ge(pos, cell_ge, y), top)
        lo = max(hi - 1, 0)
        span = pos[hi] - pos[lo]
        if span > 0 and pos[lo] < y < pos[hi]:
            lam = min(max((y - pos[lo]) / span, 0.0), 1.0)
            out = max(out, (1.0 - lam) * v[lo] + lam * v[hi])
    return out


@njit(cache=True, inline="always")
def _terms(b: float, q: float, altruistic: bool) -> tuple[float, float, float, float]:
    """(loss, P_G, b'_G, b'_B) of a followed signal (:func:`fast_bounds._informative_terms`)."""
    omq = 1.0 - q
    p_good = b * q + (1.0 - b) * omq
    loss = omq if altruistic else b * omq + (1.0 - b) * q
    return (loss, p_good, b * q / max(p_good, 1e-300),
            b * omq / max(1.0 - p_good, 1e-300))  # pragma: no cover


@njit(cache=True, inline="always")
def bound(b: float, ja: int, jb: int, q_grid: np.ndarray, cost_q: np.ndarray, p: float,
          c_loss: float, altruistic: bool, delta: float, pos: np.ndarray, cell_ge: np.ndarray,
          table: np.ndarray, log2: np.ndarray, v: np.ndarray, pad: float, slack: float
          ) -> float:  # pragma: no cover
    """Upper bound of Q over grid indices [ja, jb] (inclusive, all followed) at belief b."""
    qa, qb = q_grid[ja], q_grid[jb]
    loss_a, pg_a, g_a, bb_a = _terms(b, qa, altruistic)
    loss_b, pg_b, g_b, bb_b = _terms(b, qb, altruistic)
    if qa > p:
        c = cost_q[ja]
    elif qb < p:
        c = cost_q[jb]
    else:
        c = 0.0
    ub = -c - c_loss * min(loss_a, loss_b)
    if delta != 0.0:
        m_g = _max_over(pos, cell_ge, table, log2, v, min(g_a, g_b), max(g_a, g_b), pad)
        m_b = _max_over(pos, cell_ge, table, log2, v, min(bb_a, bb_b), max(bb_a, bb_b), pad)
        ub += delta * max(pg_a * m_g + (1.0 - pg_a) * m_b, pg_b * m_g + (1.0 - pg_b) * m_b)
    return ub + slack * max(1.0, abs(ub))


@njit(cache=True, inline="always")
def _interp(y: float, v: np.ndarray, pos: np.ndarray, cell_ge: np.ndarray
            ) -> float:  # pragma: no cover
    """The interpolant of V at y, found through the lookup cells (a third of a ``locate``).

    The bounds use it only where no jump of V is within ``pad`` of y (their slope tables
    are infinite there), so it is the value the transitions interpolate, up to rounding
    (which the bounds' slack covers). At a zero-length segment, the larger end.
    """
    top = pos.size - 1
    hi = min(_first_ge(pos, cell_ge, y), top)
    lo = max(hi - 1, 0)
    span = pos[hi] - pos[lo]
    if not span > 0.0:
        return max(v[lo], v[hi])
    lam = min(max((y - pos[lo]) / span, 0.0), 1.0)
    return (1.0 - lam) * v[lo] + lam * v[hi]


@njit(cache=True, inline="always")
def _slopes(pos: np.ndarray, s_max: np.ndarray, s_min: np.ndarray, log2: np.ndarray,
            a: int, z: int) -> tuple[float, float]:  # pragma: no cover
    """(max, min) slope of the interpolant over the segments that meet [y_lo, y_hi] ± pad.

    ``a`` and ``z`` are the first nodes at or above y_lo − pad and y_hi + pad
    (:func:`_first_ge`; :func:`_chord` takes the same two). A segment of zero length (a jump
    at a breakpoint) has slope +inf in ``s_max`` and −inf in ``s_min``, so that a range
    across a jump gets no finite slope bound.
    """
    k_lo = max(a - 1, 0)
    k_hi = min(z - 1, pos.size - 2)
    if k_hi < k_lo:
        k_hi = k_lo
    k = log2[k_hi - k_lo + 1]
    top = max(s_max[k, k_lo], s_max[k, k_hi - (1 << k) + 1])
    bot = min(s_min[k, k_lo], s_min[k, k_hi - (1 << k) + 1])
    return top, bot


@njit(cache=True, inline="always")
def _line(b: float, q: float, r: float, delta: float, va: float, sa: float, xa: float,
          vb: float, sb: float, yb: float) -> float:
    """R + δ·[P_G(V_G − s_G x) + s_G·b·q + (1 − P_G)(V_B − s_B y) + s_B·b·(1 − q)] at q."""
    pg = b * q + (1.0 - b) * (1.0 - q)
    e = pg * (va - sa * xa) + sa * b * q + (1.0 - pg) * (vb - sb * yb) + sb * b * (1.0 - q)
    return r + delta * e  # pragma: no cover


@njit(cache=True, inline="always")
def tight_bound(b: float, ja: int, jb: int, q_grid: np.ndarray, cost_q: np.ndarray, p: float,
                c_loss: float, altruistic: bool, concave: bool, delta: float, v: np.ndarray,
                pos: np.ndarray, left: np.ndarray, first: np.ndarray, last: np.ndarray,
                spacing: np.ndarray, right: np.ndarray, edges: np.ndarray,
                edge_node: np.ndarray, snap: float, cell_ge: np.ndarray, s_max: np.ndarray,
                s_min: np.ndarray, log2: np.ndarray, pad: float, slack: float
                ) -> float:  # pragma: no cover
    """:func:`_tight` in full (both the anchored and the chord bound)."""
    return _tight(b, ja, jb, q_grid, cost_q, p, c_loss, altruistic, concave, delta, v, pos,
                  cell_ge, s_max, s_min, log2, pad, slack, _NEG)


@njit(cache=True, inline="always")
def _tight(b: float, ja: int, jb: int, q_grid: np.ndarray, cost_q: np.ndarray, p: float,
           c_loss: float, altruistic: bool, concave: bool, delta: float, v: np.ndarray,
           pos: np.ndarray, cell_ge: np.ndarray, s_max: np.ndarray, s_min: np.ndarray,
           log2: np.ndarray, pad: float, slack: float, dyn: float) -> float:  # pragma: no cover
    """A second-order upper bound of Q over grid indices [ja, jb] (all followed) at belief b.

    With P_G·b'_G = b·q and (1 − P_G)·b'_B = b·(1 − q), a slope bound of the interpolant over
    each successor's range turns E[V(b')] into a function that is linear in q and exact at one
    end of the block (anchored at either end; the smaller of the two bounds is taken). With a
    concave cost (linear, power) the reward lies below its chord on each side of p, so the
    bound is piecewise linear with pieces at q_a, p, q_b, and its maximum is at one of them.
    Returns +inf when a successor range meets a jump of V (then the coarse bound is used).
    The chord bound (second, and dearer) is skipped when the anchored one is below ``dyn``
    (the threshold the caller prunes at).
    """
    qa, qb = q_grid[ja], q_grid[jb]
    loss_a, pg_a, g_a, h_a = _terms(b, qa, altruistic)
    loss_b, pg_b, g_b, h_b = _terms(b, qb, altruistic)
    if concave:
        r_a = -cost_q[ja] - c_loss * loss_a
        r_b = -cost_q[jb] - c_loss * loss_b
    else:
        c = cost_q[ja] if qa > p else (cost_q[jb] if qb < p else 0.0)
        r_a = -c - c_loss * loss_a
        r_b = -c - c_loss * loss_b
    inside = qa < p < qb
    r_p = 0.0
    if inside:
        loss_p = _terms(b, p, altruistic)[0]
        r_p = -c_loss * loss_p  # the cost is 0 at p
    if delta == 0.0:
        ub = max(r_a, r_b)
        if inside:
            ub = max(ub, r_p)
        return ub + slack * max(1.0, abs(ub))
    ga_, gz_ = _first_ge(pos, cell_ge, g_a - pad), _first_ge(pos, cell_ge, g_b + pad)
    ha_, hz_ = _first_ge(pos, cell_ge, h_b - pad), _first_ge(pos, cell_ge, h_a + pad)
    sg_hi, sg_lo = _slopes(pos, s_max, s_min, log2, ga_, gz_)
    sb_hi, sb_lo = _slopes(pos, s_max, s_min, log2, ha_, hz_)
    if not (math.isfinite(sg_hi) and math.isfinite(sg_lo) and math.isfinite(sb_hi)
            and math.isfinite(sb_lo)):
        return np.inf
    vga = _interp(g_a, v, pos, cell_ge)
    vha = _interp(h_a, v, pos, cell_ge)
    vgb = _interp(g_b, v, pos, cell_ge)
    vhb = _interp(h_b, v, pos, cell_ge)
    # anchored at q_a: G successor rises from g_a (max slope), B falls from h_a (min slope)
    ua = max(_line(b, qa, r_a, delta, vga, sg_hi, g_a, vha, sb_lo, h_a),
             _line(b, qb, r_b, delta, vga, sg_hi, g_a, vha, sb_lo, h_a))
    ub_ = max(_line(b, qa, r_a, delta, vgb, sg_lo, g_b, vhb, sb_hi, h_b),
              _line(b, qb, r_b, delta, vgb, sg_lo, g_b, vhb, sb_hi, h_b))
    if inside:
        ua = max(ua, _line(b, p, r_p, delta, vga, sg_hi, g_a, vha, sb_lo, h_a))
        ub_ = max(ub_, _line(b, p, r_p, delta, vgb, sg_lo, g_b, vhb, sb_hi, h_b))
    ub = min(ua, ub_)
    if ub + slack * max(1.0, abs(ub)) < dyn:
        return ub + slack * max(1.0, abs(ub))
    # the chord bound: V ≤ its chord over each successor range + the largest excess of a node
    cg = _chord(g_a, g_b, vga, vgb, v, pos, ga_, gz_)
    ch = _chord(h_b, h_a, vhb, vha, v, pos, ha_, hz_)
    if cg[2] < np.inf and ch[2] < np.inf:
        uc = max(_chord_line(b, qa, r_a, delta, cg, ch), _chord_line(b, qb, r_b, delta, cg, ch))
        if inside:
            uc = max(uc, _chord_line(b, p, r_p, delta, cg, ch))
        ub = min(ub, uc)
    return ub + slack * max(1.0, abs(ub))


@njit(cache=True, inline="always")
def _chord(y_lo: float, y_hi: float, v_lo: float, v_hi: float, v: np.ndarray, pos: np.ndarray,
           a: int, z: int) -> tuple[float, float, float]:  # pragma: no cover
    """(α, β, D) with V(x) ≤ α + β·x + D on [y_lo, y_hi], α + β·x the chord.

    D is inf if the range holds more than 48 nodes or is too short for a chord. ``a`` and
    ``z`` are the first nodes at or above y_lo − pad and y_hi + pad (as for :func:`_slopes`).

    The interpolant is linear between nodes, so V − chord is largest at an end (0) or at a
    node inside; nodes within ``pad`` of the range are taken too (their excess only adds).
    A jump inside the range (a breakpoint, where V may jump) is caught by the callers, whose
    slope tables are infinite there.
    """
    span = y_hi - y_lo
    if span <= 1e-12:
        return 0.0, 0.0, np.inf
    beta = (v_hi - v_lo) / span
    alpha = v_lo - beta * y_lo
    k = a
    stop = z
    if stop - k > 48:
        return alpha, beta, np.inf
    d = 0.0
    while k < stop:
        d = max(d, v[k] - (alpha + beta * pos[k]))
        k += 1
    return alpha, beta, d


@njit(cache=True, inline="always")
def _chord_line(b: float, q: float, r: float, delta: float, cg: tuple, ch: tuple  # type: ignore[type-arg]
                ) -> float:  # pragma: no cover
    """R + δ·[P_G(α_G + D_G) + β_G·b·q + (1 − P_G)(α_B + D_B) + β_B·b·(1 − q)] at q."""
    pg = b * q + (1.0 - b) * (1.0 - q)
    e = pg * (cg[0] + cg[2]) + cg[1] * b * q + (1.0 - pg) * (ch[0] + ch[2]) + ch[1] * b * (1.0 - q)
    return r + delta * e


@njit(cache=True)
def block_bound(b: float, ja: int, jb: int, q_grid: np.ndarray, cost_q: np.ndarray, p: float,
          c_loss: float, altruistic: bool, concave: bool, delta: float, v: np.ndarray,
          pos: np.ndarray, cell_ge: np.ndarray, table: np.ndarray, s_max: np.ndarray,
          s_min: np.ndarray, log2: np.ndarray, pad: float, slack: float, dyn: float
          ) -> float:  # pragma: no cover
    """The block bound the search uses (``dyn``: the threshold it prunes at, see :func:`_tight`).

    :func:`bound` for a wide block (64 precisions or more: there the two bounds prune alike
    and this one is half the work), else :func:`tight_bound`, or :func:`bound` where that has
    none (a successor range meets a jump of V).
    """
    if jb - ja >= 64:
        return bound(b, ja, jb, q_grid, cost_q, p, c_loss, altruistic, delta, pos, cell_ge,
                     table, log2, v, pad, slack)
    t = _tight(b, ja, jb, q_grid, cost_q, p, c_loss, altruistic, concave, delta, v, pos,
               cell_ge, s_max, s_min, log2, pad, slack, dyn)
    if t < np.inf:
        return t
    return bound(b, ja, jb, q_grid, cost_q, p, c_loss, altruistic, delta, pos, cell_ge, table,
                 log2, v, pad, slack)
