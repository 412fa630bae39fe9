r"""Compiled (numba) steps around the fast solver's sweeps: rows, columns, tables, greedy.

Part of the compiled kernel (:mod:`steerherd.dp.fast_numba` states the rules), imported only
with numba. :func:`fill_tables` builds the range tables a sweep's block bounds read (the same
tables as :func:`steerherd.dp.fast_bounds.range_table` builds for V, for the interpolant's
segment slopes and for V − V_old: maxima and minima are exact, so the entries are the same;
``test_fill_tables_match_the_range_tables``) in one pass, into caller-given buffers;
:func:`finish` turns the search's per-node results into T V and the reported exact
column, as :func:`steerherd.dp.fast_kernel.sweep` did in numpy (the same comparisons, the
same bits); :func:`widen` appends a round's grid columns to the active set; :func:`greedy`
is the policy-iteration step over the active set.
:func:`transitions` and :func:`column` build transitions (the exact candidates', one grid
precision per node), :func:`q_values` is :meth:`steerherd.dp.bellman.Transitions.q_values`
and :func:`gauss_seidel` an approximate policy evaluation (Gauss–Seidel sweeps, exact
diagonal), used between policy-iteration steps only: the value the solver returns always
comes from :func:`steerherd.dp.evaluate.evaluate_rows` (or its compiled twin, the same bits:
:mod:`steerherd.dp.fast_numba_evaluate`), as the full solver's does.
"""

# Scalar code on numpy arrays: element reads are Any to mypy.
# mypy: disable-error-code="no-any-return"
from __future__ import annotations

import numpy as np
from numba import njit

from steerherd.dp.fast_numba import pair
from steerherd.dp.fast_numba_bounds import locate


@njit(cache=True, inline="always")
def _fill(table: np.ndarray, n: int, minimum: bool) -> None:  # pragma: no cover
    """Rows 1.. of a range table whose row 0 holds the n values (past the end: ∓inf)."""
    width = 1
    pad = np.inf if minimum else -np.inf
    for k in range(1, table.shape[0]):
        m = n - 2 * width + 1  # entries whose range [i, i + 2^k) fits
        for i in range(max(m, 0)):
            a, b = table[k - 1, i], table[k - 1, i + width]
            table[k, i] = (b if b < a else a) if minimum else (b if b > a else a)
        for i in range(max(m, 0), n):
            table[k, i] = pad
        width *= 2


@njit(cache=True)
def fill_tables(v: np.ndarray, pos: np.ndarray, v_old: np.ndarray, with_old: bool,
                table: np.ndarray, s_max: np.ndarray, s_min: np.ndarray,
                dv_table: np.ndarray) -> None:  # pragma: no cover
    """The range-max table of V, the slope tables and (``with_old``) that of V − V_old.

    ``table`` and ``dv_table`` have :func:`steerherd.dp.fast_bounds.table_rows` (n) rows of n
    entries, ``s_max`` and ``s_min`` ``table_rows(n − 1)`` rows of n − 1 (the segment slopes;
    a segment of zero length has slope +inf in ``s_max`` and −inf in ``s_min``).
    """
    n = v.size
    for i in range(n):
        table[0, i] = v[i]
    _fill(table, n, False)
    for i in range(n - 1):
        span = pos[i + 1] - pos[i]
        dv = v[i + 1] - v[i]
        if span <= 0.0:
            s_max[0, i] = np.inf
            s_min[0, i] = -np.inf
        else:
            s_max[0, i] = dv / span
            s_min[0, i] = dv / span
    _fill(s_max, n - 1, False)
    _fill(s_min, n - 1, True)
    if with_old:
        for i in range(n):
            dv_table[0, i] = v[i] - v_old[i]
        _fill(dv_table, n, False)


@njit(cache=True)
def finish(exact_q: np.ndarray, exact_best: np.ndarray, grid_best: np.ndarray,
           grid_col: np.ndarray, tie: float
           ) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
    """(T V, the first exact column within the tie or −1) at every node.

    ``grid_col`` is set to −1 where an exact column is reported.
    """
    n, e = exact_q.shape
    tv = np.empty(n)
    exact_col = np.empty(n, dtype=np.int64)
    for i in range(n):
        best = exact_best[i] if exact_best[i] >= grid_best[i] else grid_best[i]
        if np.isnan(exact_best[i]) or np.isnan(grid_best[i]):
            best = np.nan
        tv[i] = best
        thr = best - tie * max(1.0, abs(best))
        col = -1
        for c in range(e):
            if exact_q[i, c] >= thr:
                col = c
                break
        exact_col[i] = col
        if col >= 0:
            grid_col[i] = -1
    return tv, exact_col


@njit(cache=True)
def widen(q: np.ndarray, side: np.ndarray, reward: np.ndarray, lo_g: np.ndarray,
          lo_b: np.ndarray, w: np.ndarray, belief: np.ndarray, grid_arg: np.ndarray,
          add: np.ndarray, j0: np.ndarray, stop: int, reach: int, q_grid: np.ndarray,
          cost_q: np.ndarray, c_loss: float, altruistic: bool, pos: np.ndarray,
          left: np.ndarray, first: np.ndarray, last: np.ndarray, spacing: np.ndarray,
          right: np.ndarray, edges: np.ndarray, edge_node: np.ndarray, snap: float,
          mem_start: np.ndarray, mem_int: np.ndarray, mem_flt: np.ndarray, q2: np.ndarray,
          side2: np.ndarray, reward2: np.ndarray, lo_g2: np.ndarray, lo_b2: np.ndarray,
          w2: np.ndarray) -> None:  # pragma: no cover
    """The active columns followed by 2·``reach`` + 1 grid-precision columns, in one pass.

    New column c (offset o = c − ``reach``) holds, at node i, grid index
    j = ``grid_arg[i]`` + o where ``add[i]`` and j0[i] ≤ j < ``stop`` (the followed transition,
    :func:`steerherd.dp.fast_numba.pair`), else an absent pair (reward −inf, both successors
    at i with weight 0) at q_grid[clip(j)]: :func:`steerherd.dp.fast_kernel.column` for each
    offset, concatenated after the old columns. A pair that the sweep evaluated (``mem_*``:
    its pairs, :func:`steerherd.dp.fast_numba.search`; S + 1 offsets, or one zero offset for
    none) is copied from there: the same :func:`pair`, the same bits.

    Written into ``q2`` … ``w2`` (shapes (S, e + 2·reach + 1), the weights (4, S, …)), every
    entry of them.
    """
    n, e = reward.shape
    width = 2 * reach + 1
    top = q_grid.size - 1
    q2[:, :e] = q
    side2[:, :e] = side
    reward2[:, :e] = reward
    lo_g2[:, :e] = lo_g
    lo_b2[:, :e] = lo_b
    w2[:, :, :e] = w
    for i in range(n):
        for c in range(width):
            j = grid_arg[i] + c - reach
            jj = min(max(j, 0), top)
            col = e + c
            q2[i, col], side2[i, col] = q_grid[jj], 0
            if add[i] and j >= j0[i] and j < stop:
                row = -1
                if mem_start.size > n:
                    for k in range(mem_start[i], mem_start[i + 1]):
                        if mem_int[k, 1] == j:
                            row = k
                            break
                if row >= 0:
                    reward2[i, col] = mem_flt[row, 1]
                    lo_g2[i, col], lo_b2[i, col] = mem_int[row, 2], mem_int[row, 3]
                    for k in range(4):
                        w2[k, i, col] = mem_flt[row, 2 + k]
                    continue
                t = pair(belief[i], i, q_grid[jj], cost_q[jj], c_loss, altruistic, pos, left,
                         first, last, spacing, right, edges, edge_node, snap)
                reward2[i, col], lo_g2[i, col], lo_b2[i, col] = t[0], t[1], t[2]
                w2[0, i, col], w2[1, i, col], w2[2, i, col], w2[3, i, col] = (t[3], t[4], t[5],
                                                                              t[6])
            else:
                reward2[i, col], lo_g2[i, col], lo_b2[i, col] = -np.inf, i, i
                for k in range(4):
                    w2[k, i, col] = 0.0


@njit(cache=True)
def greedy(v: np.ndarray, delta: float, reward: np.ndarray, lo_g: np.ndarray,
           lo_b: np.ndarray, w: np.ndarray, policy: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover
    """(Q-values, greedy policy keeping exact ties, T V) over the active columns.

    The Q-values of :func:`q_values` (the same bits); the greedy
    column is the first maximum (``np.argmax``: a NaN counts as the maximum), replaced by
    ``policy``'s column where that is at least as good, as :func:`steerherd.dp.fast._greedy`
    computes them in numpy.
    """
    s, a = reward.shape
    out = np.empty((s, a))
    new = np.empty(s, dtype=np.int64)
    best = np.empty(s)
    n = v.size
    for i in range(s):
        top = 0.0
        arg = 0
        for c in range(a):
            if delta == 0.0 or reward[i, c] == -np.inf:  # absent: −inf + δ·0 (V is finite)
                qv = reward[i, c]
            else:
                g, h = lo_g[i, c], lo_b[i, c]
                a1 = v[g + 1] if g + 1 < n else 0.0
                b1 = v[h + 1] if h + 1 < n else 0.0
                qv = reward[i, c] + delta * (w[0, i, c] * v[g] + w[1, i, c] * a1
                                             + w[2, i, c] * v[h] + w[3, i, c] * b1)
            out[i, c] = qv
            if c == 0 or qv > top or (np.isnan(qv) and not np.isnan(top)):
                top, arg = qv, c
        best[i] = top
        new[i] = policy[i] if out[i, policy[i]] >= top else arg
    return out, new, best


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


@njit(cache=True)
def select_rows(q: np.ndarray, side: np.ndarray, reward: np.ndarray, lo_g: np.ndarray,
                lo_b: np.ndarray, w: np.ndarray, policy: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                           np.ndarray]:  # pragma: no cover
    """Each node's entries in its column ``policy[i]``, gathered in one pass.

    :func:`steerherd.dp.policy.select`'s gathers (copies: the same values).
    """
    n = policy.size
    q1, side1, reward1 = np.empty(n), np.empty(n, dtype=side.dtype), np.empty(n)
    lo_g1, lo_b1 = np.empty(n, dtype=lo_g.dtype), np.empty(n, dtype=lo_b.dtype)
    w1 = np.empty((4, n))
    for i in range(n):
        c = policy[i]
        q1[i], side1[i], reward1[i] = q[i, c], side[i, c], reward[i, c]
        lo_g1[i], lo_b1[i] = lo_g[i, c], lo_b[i, c]
        for k in range(4):
            w1[k, i] = w[k, i, c]
    return q1, side1, reward1, lo_g1, lo_b1, w1
