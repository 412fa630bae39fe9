r"""Compiled (numba) kernels of the fast solver: the same arithmetic, one node at a time.

This module imports numba, so it is imported only when :func:`steerherd.dp.fast_kernel.choose`
picks the numba kernel (never on the default CLI path). Every function here has a numpy
counterpart in :mod:`steerherd.dp.fast_sweep` / :mod:`steerherd.dp.fast_bounds` /
:mod:`steerherd.dp.bellman`, and the tests compare the two:

* :func:`pair` is the transition of one *followed* grid precision (P(G|G) = q,
  P(G|B) = 1 − q, side 0) written operation for operation as
  :func:`steerherd.dp.bellman.transitions_for` and :func:`steerherd.dp.kernel.expected_value`
  compute it, so its Q-value is bit for bit the full solver's (numba does not reassociate or
  fuse floating-point operations unless ``fastmath`` is asked for, and it is not);
* :func:`search` is the certifying sweep's per-node search: the block bounds of
  :func:`steerherd.dp.fast_bounds.block_bounds` (same formula, same slack), blocks taken in
  decreasing order of their bound, and a block skipped once its bound is below the node's
  floor *or* below the tie threshold of the best Q found so far at that node (a Q below
  that threshold can be neither the maximum nor the reported choice, since the final best
  can only be higher);
* :func:`gauss_seidel` is an approximate policy evaluation (Gauss–Seidel sweeps, exact diagonal),
  used between policy-iteration steps only; the value the solver returns always comes from
  :func:`steerherd.dp.policy.evaluate_policy`, as the full solver's does.

All functions use ``cache=True``: the first call in a fresh environment compiles (seconds),
later processes load the cached machine code.
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
def pair(b: float, node: int, q: float, cost_q: float, c_loss: float, altruistic: bool,
         pos: np.ndarray, left: np.ndarray, first: np.ndarray, last: np.ndarray,
         spacing: np.ndarray, right: np.ndarray, edges: np.ndarray, edge_node: np.ndarray,
         snap: float) -> tuple[float, int, int, float, float, float, float]:  # pragma: no cover
    """(reward, lo_g, lo_b, w0, w1, w2, w3) of a followed grid precision q at node ``node``."""
    gg = q
    gb = 1.0 - q
    if altruistic:
        loss = b * (1.0 - gg) + (1.0 - b) * gb
    else:
        loss = b * (1.0 - gg) + (1.0 - b) * (1.0 - gb)
    reward = -cost_q - c_loss * loss
    p_good = b * gg + (1.0 - b) * gb
    if abs(gg - gb) > 0.0:
        sg = b * gg / p_good if p_good > 0 else b
        sb = b * (1.0 - gg) / (1.0 - p_good) if p_good < 1 else b
        lo_g, lam_g = locate(sg, 0, pos, left, first, last, spacing, right, edges, edge_node,
                             snap)
        lo_b, lam_b = locate(sb, 0, pos, left, first, last, spacing, right, edges, edge_node,
                             snap)
    else:
        lo_g, lam_g, lo_b, lam_b = node, 0.0, node, 0.0
    return (reward, lo_g, lo_b, p_good * (1.0 - lam_g), p_good * lam_g,
            (1.0 - p_good) * (1.0 - lam_b), (1.0 - p_good) * lam_b)


@njit(cache=True)
def transitions(belief: np.ndarray, node: np.ndarray, gg: np.ndarray, gb: np.ndarray,
                cost: np.ndarray, side: np.ndarray, a_side: np.ndarray, c_loss: float,
                altruistic: bool, pos: np.ndarray, left: np.ndarray, first: np.ndarray,
                last: np.ndarray, spacing: np.ndarray, right: np.ndarray, edges: np.ndarray,
                edge_node: np.ndarray, snap: float
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover
    """:func:`steerherd.dp.bellman.transitions_for` for flat arrays of pairs, any agent.

    Pair k is at node ``node[k]`` (belief ``belief[node[k]]``) with the agent's action
    probabilities ``gg[k]``, ``gb[k]`` (computed by the agent model in numpy), the cost
    β(|q − p|) ``cost[k]``, the limit's side for the successors ``side[k]`` and the agent's
    ``a_side[k]``; the same operations as :func:`steerherd.model.rewards.reward_from_actions`,
    :func:`steerherd.model.beliefs.successors` and the grid's ``locate``.
    """
    m = node.size
    reward = np.empty(m)
    lo_g = np.empty(m, dtype=np.int64)
    lo_b = np.empty(m, dtype=np.int64)
    w = np.empty((4, m))
    for k in range(m):
        i = node[k]
        b = belief[i]
        g_g, g_b = gg[k], gb[k]
        if altruistic:
            loss = b * (1.0 - g_g) + (1.0 - b) * g_b
        else:
            loss = b * (1.0 - g_g) + (1.0 - b) * (1.0 - g_b)
        reward[k] = -cost[k] - c_loss * loss
        p_good = b * g_g + (1.0 - b) * g_b
        moves = abs(g_g - g_b) > 0.0 or a_side[k] > 0
        if moves:
            sg = b * g_g / p_good if p_good > 0 else b
            sb = b * (1.0 - g_g) / (1.0 - p_good) if p_good < 1 else b
            lg, lam_g = locate(sg, side[k], pos, left, first, last, spacing, right, edges,
                               edge_node, snap)
            lb, lam_b = locate(sb, -side[k], pos, left, first, last, spacing, right, edges,
                               edge_node, snap)
        else:
            lg, lam_g, lb, lam_b = i, 0.0, i, 0.0
        lo_g[k], lo_b[k] = lg, lb
        w[0, k] = p_good * (1.0 - lam_g)
        w[1, k] = p_good * lam_g
        w[2, k] = (1.0 - p_good) * (1.0 - lam_b)
        w[3, k] = (1.0 - p_good) * lam_b
    return reward, lo_g, lo_b, w


@njit(cache=True, inline="always")
def _q(v: np.ndarray, delta: float, t: tuple) -> float:  # type: ignore[type-arg]  # pragma: no cover
    """Q = r + δ E[V(b')] with :func:`steerherd.dp.kernel.expected_value`'s order of terms."""
    reward, lo_g, lo_b, w0, w1, w2, w3 = t
    if delta == 0.0:
        return reward
    n = v.size
    a1 = v[lo_g + 1] if lo_g + 1 < n else 0.0
    b1 = v[lo_b + 1] if lo_b + 1 < n else 0.0
    return reward + delta * (w0 * v[lo_g] + w1 * a1 + w2 * v[lo_b] + w3 * b1)


@njit(cache=True)
def column(belief: np.ndarray, nodes: np.ndarray, q: np.ndarray, cost_q: np.ndarray,
           c_loss: float, altruistic: bool, pos: np.ndarray, left: np.ndarray,
           first: np.ndarray, last: np.ndarray, spacing: np.ndarray, right: np.ndarray,
           edges: np.ndarray, edge_node: np.ndarray, snap: float
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover
    """Transitions of one followed grid precision per node (``q[i]`` at ``nodes[i]``)."""
    m = nodes.size
    reward = np.empty(m)
    lo_g = np.empty(m, dtype=np.int64)
    lo_b = np.empty(m, dtype=np.int64)
    w = np.empty((4, m))
    for i in range(m):
        t = pair(belief[nodes[i]], nodes[i], q[i], cost_q[i], c_loss, altruistic, pos, left,
                 first, last, spacing, right, edges, edge_node, snap)
        reward[i], lo_g[i], lo_b[i] = t[0], t[1], t[2]
        w[0, i], w[1, i], w[2, i], w[3, i] = t[3], t[4], t[5], t[6]
    return reward, lo_g, lo_b, w


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
def _value_at(y: float, v: np.ndarray, pos: np.ndarray, left: np.ndarray, first: np.ndarray,
              last: np.ndarray, spacing: np.ndarray, right: np.ndarray, edges: np.ndarray,
              edge_node: np.ndarray, snap: float) -> float:  # pragma: no cover
    """The interpolated V at a successor y, as the transitions interpolate it."""
    lo, lam = locate(y, 0, pos, left, first, last, spacing, right, edges, edge_node, snap)
    hi = v[lo + 1] if lo + 1 < v.size else 0.0
    return (1.0 - lam) * v[lo] + lam * hi


@njit(cache=True, inline="always")
def _slopes(pos: np.ndarray, cell_ge: np.ndarray, s_max: np.ndarray, s_min: np.ndarray,
            log2: np.ndarray, y_lo: float, y_hi: float, pad: float) -> tuple[float, float]:
    """(max, min) slope of the interpolant over the segments that meet [y_lo, y_hi] ± pad.

    A segment of zero length (a jump at a breakpoint) has slope +inf in ``s_max`` and −inf in
    ``s_min``, so that a range across a jump gets no finite slope bound.
    """
    k_lo = max(_first_ge(pos, cell_ge, y_lo - pad) - 1, 0)
    k_hi = min(_first_ge(pos, cell_ge, y_hi + pad) - 1, pos.size - 2)
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
    """A second-order upper bound of Q over grid indices [ja, jb] (all followed) at belief b.

    With P_G·b'_G = b·q and (1 − P_G)·b'_B = b·(1 − q), a slope bound of the interpolant over
    each successor's range turns E[V(b')] into a function that is linear in q and exact at one
    end of the block (anchored at either end; the smaller of the two bounds is taken). With a
    concave cost (linear, power) the reward lies below its chord on each side of p, so the
    bound is piecewise linear with pieces at q_a, p, q_b, and its maximum is at one of them.
    Returns +inf when a successor range meets a jump of V (then the coarse bound is used).
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
    sg_hi, sg_lo = _slopes(pos, cell_ge, s_max, s_min, log2, g_a, g_b, pad)
    sb_hi, sb_lo = _slopes(pos, cell_ge, s_max, s_min, log2, h_b, h_a, pad)
    if not (math.isfinite(sg_hi) and math.isfinite(sg_lo) and math.isfinite(sb_hi)
            and math.isfinite(sb_lo)):
        return np.inf
    vga = _value_at(g_a, v, pos, left, first, last, spacing, right, edges, edge_node, snap)
    vha = _value_at(h_a, v, pos, left, first, last, spacing, right, edges, edge_node, snap)
    vgb = _value_at(g_b, v, pos, left, first, last, spacing, right, edges, edge_node, snap)
    vhb = _value_at(h_b, v, pos, left, first, last, spacing, right, edges, edge_node, snap)
    # anchored at q_a: G successor rises from g_a (max slope), B falls from h_a (min slope)
    ua = max(_line(b, qa, r_a, delta, vga, sg_hi, g_a, vha, sb_lo, h_a),
             _line(b, qb, r_b, delta, vga, sg_hi, g_a, vha, sb_lo, h_a))
    ub_ = max(_line(b, qa, r_a, delta, vgb, sg_lo, g_b, vhb, sb_hi, h_b),
              _line(b, qb, r_b, delta, vgb, sg_lo, g_b, vhb, sb_hi, h_b))
    if inside:
        ua = max(ua, _line(b, p, r_p, delta, vga, sg_hi, g_a, vha, sb_lo, h_a))
        ub_ = max(ub_, _line(b, p, r_p, delta, vgb, sg_lo, g_b, vhb, sb_hi, h_b))
    ub = min(ua, ub_)
    # the chord bound: V ≤ its chord over each successor range + the largest excess of a node
    cg = _chord(g_a, g_b, vga, vgb, v, pos, cell_ge, pad)
    ch = _chord(h_b, h_a, vhb, vha, v, pos, cell_ge, pad)
    if cg[2] < np.inf and ch[2] < np.inf:
        uc = max(_chord_line(b, qa, r_a, delta, cg, ch), _chord_line(b, qb, r_b, delta, cg, ch))
        if inside:
            uc = max(uc, _chord_line(b, p, r_p, delta, cg, ch))
        ub = min(ub, uc)
    return ub + slack * max(1.0, abs(ub))


@njit(cache=True, inline="always")
def _chord(y_lo: float, y_hi: float, v_lo: float, v_hi: float, v: np.ndarray, pos: np.ndarray,
           cell_ge: np.ndarray, pad: float) -> tuple[float, float, float]:  # pragma: no cover
    """(α, β, D) with V(x) ≤ α + β·x + D on [y_lo, y_hi], α + β·x the chord.

    D is inf if the range holds more than 48 nodes or is too short for a chord.

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
    k = _first_ge(pos, cell_ge, y_lo - pad)
    stop = _first_ge(pos, cell_ge, y_hi + pad)
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
def _both(b: float, ja: int, jb: int, q_grid: np.ndarray, cost_q: np.ndarray, p: float,
          c_loss: float, altruistic: bool, concave: bool, delta: float, v: np.ndarray,
          pos: np.ndarray, left: np.ndarray, first: np.ndarray, last: np.ndarray,
          spacing: np.ndarray, right: np.ndarray, edges: np.ndarray, edge_node: np.ndarray,
          snap: float, cell_ge: np.ndarray, table: np.ndarray, s_max: np.ndarray,
          s_min: np.ndarray, log2: np.ndarray, pad: float, slack: float
          ) -> float:  # pragma: no cover
    """The block bound the search uses.

    :func:`bound` for a wide block (64 precisions or more: there the two bounds prune alike
    and this one is half the work), else :func:`tight_bound`, or :func:`bound` where that has
    none (a successor range meets a jump of V).
    """
    if jb - ja >= 64:
        return bound(b, ja, jb, q_grid, cost_q, p, c_loss, altruistic, delta, pos, cell_ge,
                     table, log2, v, pad, slack)
    t = tight_bound(b, ja, jb, q_grid, cost_q, p, c_loss, altruistic, concave, delta, v, pos,
                    left, first, last, spacing, right, edges, edge_node, snap, cell_ge, s_max,
                    s_min, log2, pad, slack)
    if t < np.inf:
        return t
    return bound(b, ja, jb, q_grid, cost_q, p, c_loss, altruistic, delta, pos, cell_ge, table,
                 log2, v, pad, slack)


@njit(cache=True)
def search(v: np.ndarray, belief: np.ndarray, j0: np.ndarray, stop: int, q_grid: np.ndarray,
           cost_q: np.ndarray, p: float, c_loss: float, altruistic: bool, delta: float,
           pos: np.ndarray, left: np.ndarray, first: np.ndarray, last: np.ndarray,
           spacing: np.ndarray, right: np.ndarray, edges: np.ndarray, edge_node: np.ndarray,
           snap: float, cell_ge: np.ndarray, table: np.ndarray, log2: np.ndarray, pad: float,
           slack: float, tie: float, concave: bool, s_max: np.ndarray, s_min: np.ndarray,
           levels: np.ndarray, floor: np.ndarray, exact_best: np.ndarray, dv_table: np.ndarray,
           mem_start: np.ndarray, mem_int: np.ndarray, mem_flt: np.ndarray,
           blk_start: np.ndarray, blk_int: np.ndarray, blk_ub: np.ndarray, pruned: np.ndarray,
           grid_best: np.ndarray, grid_arg: np.ndarray, grid_col: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:  # pragma: no cover
    """The structured sweep over all nodes (see the module docstring).

    Every node's followed grid indices [j0, stop) end up partitioned into evaluated pairs and
    pruned blocks, which are returned for the next sweep of the same problem:

    * pairs: ``mem_int`` rows (node, j, lo_g, lo_b), ``mem_flt`` rows (Q, reward, w0..w3);
      their transitions do not depend on V, so the next sweep re-evaluates them with four
      products instead of a Bayes step;
    * pruned blocks: ``blk_int`` rows (node, lo, hi, level, g_lo, g_hi, h_lo, h_hi) with
      their bound ``blk_ub``; [g_lo, g_hi] and [h_lo, h_hi] are the node ranges the block's
      successors interpolate between, so at the next V each Q in the block moved by at most
      δ·max(ΔV) over those nodes (the weights sum to 1): the old bound plus that is a bound
      at the new V, and only a block where it reaches the floor is bounded afresh.

    ``mem_start``/``blk_start`` (S + 1 offsets) locate each node's rows; empty at the first
    sweep, when every node starts from its top-level blocks. ``dv_table`` is the range-max
    table of V − V_old. Fills ``pruned`` (max bound of the pruned blocks), ``grid_best``,
    ``grid_arg`` and ``grid_col`` (−1 where none) and returns this sweep's pairs and blocks
    in the same form and the number of block bounds computed.
    """
    n = v.size
    cap = 2 * n + 64 + mem_int.shape[0] + mem_int.shape[0] // 4
    o_int = np.empty((cap, 4), dtype=np.int64)
    o_flt = np.empty((cap, 6))
    bcap = 4 * n + 64 + blk_int.shape[0] + blk_int.shape[0] // 4
    b_int = np.empty((bcap, 8), dtype=np.int64)
    b_ub = np.empty(bcap)
    n_blk = 0
    count = 0
    top = levels[0]
    n_lev = levels.size
    # A stack of blocks (lo, hi inclusive, level, bound), deep enough for every level.
    nch = max(stop // top + 2, 2 * (top // levels[n_lev - 1]) + 2, 64)
    deep = nch * n_lev + (blk_start[n] - blk_start[0])
    st_lo = np.empty(deep, dtype=np.int64)
    st_hi = np.empty(deep, dtype=np.int64)
    st_lv = np.empty(deep, dtype=np.int64)
    st_src = np.full(deep, -1, dtype=np.int64)
    st_ub = np.empty(deep)
    ch_lo = np.empty(nch, dtype=np.int64)
    ch_hi = np.empty(nch, dtype=np.int64)
    ch_ub = np.empty(nch)
    n_bounds = 0
    remembered = mem_start[n] + blk_start[n] > 0
    for i in range(n):
        b = belief[i]
        start = count
        gbest = _NEG
        garg = -1
        fl = floor[i]
        pruned[i] = _NEG
        sp = 0
        if j0[i] < stop:
            if remembered:
                # the old pairs, re-evaluated from their transitions
                for k in range(mem_start[i], mem_start[i + 1]):
                    if count == cap:
                        cap *= 2
                        o_int, o_flt = _grow(o_int, o_flt, cap)
                    j = mem_int[k, 1]
                    g, h = mem_int[k, 2], mem_int[k, 3]
                    if delta == 0.0:
                        qv = mem_flt[k, 1]
                    else:
                        a1 = v[g + 1] if g + 1 < n else 0.0
                        b1 = v[h + 1] if h + 1 < n else 0.0
                        qv = mem_flt[k, 1] + delta * (mem_flt[k, 2] * v[g] + mem_flt[k, 3] * a1
                                                      + mem_flt[k, 4] * v[h] + mem_flt[k, 5] * b1)
                    for c in range(4):
                        o_int[count, c] = mem_int[k, c]
                    o_flt[count, 0] = qv
                    for c in range(1, 6):
                        o_flt[count, c] = mem_flt[k, c]
                    count += 1
                    if qv > gbest or (qv == gbest and j < garg):
                        gbest, garg = qv, j
                # the old pruned blocks, their bounds lifted by δ·max ΔV over their successors
                for k in range(blk_start[i], blk_start[i + 1]):
                    shift = max(_range_max(dv_table, log2, blk_int[k, 4], blk_int[k, 5]),
                                _range_max(dv_table, log2, blk_int[k, 6], blk_int[k, 7]),
                                dv_table[0, i])
                    ub = blk_ub[k] + delta * shift
                    ub += slack * max(1.0, abs(ub))
                    st_lo[sp], st_hi[sp], st_lv[sp], st_ub[sp] = (blk_int[k, 1], blk_int[k, 2],
                                                                  blk_int[k, 3], ub)
                    st_src[sp] = k
                    sp += 1
            else:
                # top-level blocks [k·top, (k+1)·top) ∩ [j0, stop), pushed in bound order
                nc = 0
                k0 = (j0[i] // top) * top
                for lo in range(k0, stop, top):
                    a = max(lo, j0[i])
                    z = min(lo + top, stop) - 1
                    ch_lo[nc], ch_hi[nc] = a, z
                    n_bounds += 1
                    ch_ub[nc] = _both(b, a, z, q_grid, cost_q, p, c_loss, altruistic, concave,
                                      delta, v, pos, left, first, last, spacing, right, edges,
                                      edge_node, snap, cell_ge, table, s_max, s_min, log2, pad,
                                      slack)
                    nc += 1
                sp = _push(ch_lo, ch_hi, ch_ub, nc, 0, st_lo, st_hi, st_lv, st_ub, st_src, sp)
            while sp > 0:
                sp -= 1
                a, z, lv, ub, src = st_lo[sp], st_hi[sp], st_lv[sp], st_ub[sp], st_src[sp]
                best = max(exact_best[i], gbest)
                dyn = max(fl, best - tie * max(1.0, abs(best)))
                if ub >= dyn and src >= 0:  # a lifted old bound that reaches: bound afresh
                    n_bounds += 1
                    ub = _both(b, a, z, q_grid, cost_q, p, c_loss, altruistic, concave, delta, v,
                               pos, left, first, last, spacing, right, edges, edge_node, snap,
                               cell_ge, table, s_max, s_min, log2, pad, slack)
                if ub < dyn:
                    pruned[i] = max(pruned[i], ub)
                    if n_blk == bcap:
                        bcap *= 2
                        b_int, b_ub = _grow_blocks(b_int, b_ub, bcap)
                    if src >= 0:  # the same block: the same successor ranges
                        for c in range(8):
                            b_int[n_blk, c] = blk_int[src, c]
                        b_ub[n_blk] = ub
                    else:
                        _record(b_int, b_ub, n_blk, i, a, z, lv, ub, b, q_grid, altruistic, pos,
                                cell_ge, pad)
                    n_blk += 1
                    continue
                if lv + 1 < n_lev:
                    size = levels[lv + 1]
                    nc = 0
                    for lo in range(a, z + 1, size):
                        zz = min(lo + size, z + 1) - 1
                        ch_lo[nc], ch_hi[nc] = lo, zz
                        n_bounds += 1
                        ch_ub[nc] = _both(b, lo, zz, q_grid, cost_q, p, c_loss, altruistic,
                                          concave, delta, v, pos, left, first, last, spacing,
                                          right, edges, edge_node, snap, cell_ge, table, s_max,
                                          s_min, log2, pad, slack)
                        nc += 1
                    sp = _push(ch_lo, ch_hi, ch_ub, nc, lv + 1, st_lo, st_hi, st_lv, st_ub, st_src,
                               sp)
                    continue
                for j in range(a, z + 1):
                    if count == cap:
                        cap *= 2
                        o_int, o_flt = _grow(o_int, o_flt, cap)
                    t = pair(b, i, q_grid[j], cost_q[j], c_loss, altruistic, pos, left, first,
                             last, spacing, right, edges, edge_node, snap)
                    qv = _q(v, delta, t)
                    o_int[count, 0], o_int[count, 1], o_int[count, 2], o_int[count, 3] = (
                        i, j, t[1], t[2])
                    o_flt[count, 0], o_flt[count, 1], o_flt[count, 2] = qv, t[0], t[3]
                    o_flt[count, 3], o_flt[count, 4], o_flt[count, 5] = t[4], t[5], t[6]
                    count += 1
                    if qv > gbest or (qv == gbest and j < garg):
                        gbest, garg = qv, j
        grid_best[i] = gbest
        grid_arg[i] = garg
        best = max(exact_best[i], gbest)
        thr = best - tie * max(1.0, abs(best))
        col = -1
        for row in range(start, count):
            if o_flt[row, 0] >= thr and (col < 0 or o_int[row, 1] < col):
                col = o_int[row, 1]
        grid_col[i] = col
    # copies: the next sweep keeps these, not the spare capacity
    return (o_int[:count].copy(), o_flt[:count].copy(), b_int[:n_blk].copy(),
            b_ub[:n_blk].copy(), n_bounds)


@njit(cache=True, inline="always")
def _record(b_int: np.ndarray, b_ub: np.ndarray, at: int, i: int, a: int, z: int, lv: int,
            ub: float, b: float, q_grid: np.ndarray, altruistic: bool, pos: np.ndarray,
            cell_ge: np.ndarray, pad: float) -> None:  # pragma: no cover
    """Store a pruned block with the node ranges its successors interpolate between."""
    g_a, h_a = _terms(b, q_grid[a], altruistic)[2:]
    g_z, h_z = _terms(b, q_grid[z], altruistic)[2:]
    top = pos.size - 1
    b_int[at, 0], b_int[at, 1], b_int[at, 2], b_int[at, 3] = i, a, z, lv
    b_int[at, 4] = max(_first_ge(pos, cell_ge, min(g_a, g_z) - pad) - 1, 0)
    b_int[at, 5] = min(_first_ge(pos, cell_ge, max(g_a, g_z) + pad), top)
    b_int[at, 6] = max(_first_ge(pos, cell_ge, min(h_a, h_z) - pad) - 1, 0)
    b_int[at, 7] = min(_first_ge(pos, cell_ge, max(h_a, h_z) + pad), top)
    b_ub[at] = ub


@njit(cache=True)
def _grow_blocks(b_int: np.ndarray, b_ub: np.ndarray, cap: int
                 ) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
    a = np.empty((cap, 8), dtype=np.int64)
    a[: b_int.shape[0]] = b_int
    f = np.empty(cap)
    f[: b_ub.size] = b_ub
    return a, f


@njit(cache=True)
def _grow(o_int: np.ndarray, o_flt: np.ndarray, cap: int
          ) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
    a = np.empty((cap, 4), dtype=np.int64)
    a[: o_int.shape[0]] = o_int
    f = np.empty((cap, 6))
    f[: o_flt.shape[0]] = o_flt
    return a, f


@njit(cache=True, inline="always")
def _push(ch_lo: np.ndarray, ch_hi: np.ndarray, ch_ub: np.ndarray, nc: int, lv: int,
          st_lo: np.ndarray, st_hi: np.ndarray, st_lv: np.ndarray, st_ub: np.ndarray,
          st_src: np.ndarray, sp: int) -> int:  # pragma: no cover
    """Push the children, lowest bound first, so that the highest bound is popped first."""
    for a in range(1, nc):  # insertion sort by bound, ascending
        x_lo, x_hi, x_ub = ch_lo[a], ch_hi[a], ch_ub[a]
        c = a - 1
        while c >= 0 and ch_ub[c] > x_ub:
            ch_lo[c + 1], ch_hi[c + 1], ch_ub[c + 1] = ch_lo[c], ch_hi[c], ch_ub[c]
            c -= 1
        ch_lo[c + 1], ch_hi[c + 1], ch_ub[c + 1] = x_lo, x_hi, x_ub
    for c in range(nc):
        st_lo[sp], st_hi[sp], st_lv[sp], st_ub[sp] = ch_lo[c], ch_hi[c], lv, ch_ub[c]
        st_src[sp] = -1
        sp += 1
    return sp


@njit(cache=True)
def q_values(v: np.ndarray, delta: float, reward: np.ndarray, lo_g: np.ndarray,
             lo_b: np.ndarray, w: np.ndarray) -> np.ndarray:  # pragma: no cover
    """:meth:`steerherd.dp.bellman.Transitions.q_values` (same order of terms)."""
    s, a = reward.shape
    out = np.empty((s, a))
    n = v.size
    for i in range(s):
        for c in range(a):
            if delta == 0.0:
                out[i, c] = reward[i, c]
                continue
            g, h = lo_g[i, c], lo_b[i, c]
            a1 = v[g + 1] if g + 1 < n else 0.0
            b1 = v[h + 1] if h + 1 < n else 0.0
            out[i, c] = reward[i, c] + delta * (w[0, i, c] * v[g] + w[1, i, c] * a1
                                                + w[2, i, c] * v[h] + w[3, i, c] * b1)
    return out


@njit(cache=True)
def gauss_seidel(reward: np.ndarray, lo_g: np.ndarray, lo_b: np.ndarray, w: np.ndarray,
           delta: float, v0: np.ndarray, rtol: float, max_sweeps: int
           ) -> tuple[np.ndarray, bool]:  # pragma: no cover
    """Approximate V_σ: Gauss–Seidel sweeps (exact diagonal) from ``v0``.

    Returns (V, converged): converged when a sweep changes no value by more than
    ``rtol·max(1, max |V|)``.
    """
    n = v0.size
    v = v0.copy()
    diag = np.zeros(n)
    for i in range(n):
        for k, node in ((0, lo_g[i]), (1, lo_g[i] + 1), (2, lo_b[i]), (3, lo_b[i] + 1)):
            if node == i:
                diag[i] += w[k, i]
    for _ in range(max_sweeps):
        change = 0.0
        scale = 1.0
        for i in range(n):
            g, h = lo_g[i], lo_b[i]
            a1 = v[g + 1] if g + 1 < n else 0.0
            b1 = v[h + 1] if h + 1 < n else 0.0
            ev = w[0, i] * v[g] + w[1, i] * a1 + w[2, i] * v[h] + w[3, i] * b1
            new = (reward[i] + delta * (ev - diag[i] * v[i])) / (1.0 - delta * diag[i])
            change = max(change, abs(new - v[i]))
            scale = max(scale, abs(new))
            v[i] = new
        if change <= rtol * scale:
            return v, True
    return v, False
