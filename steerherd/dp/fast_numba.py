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
  :mod:`steerherd.dp.fast_numba_bounds` (the coarse one is
  :func:`steerherd.dp.fast_bounds.block_bounds`' formula with the same slack), blocks taken in
  decreasing order of their bound, and a block skipped once its bound is below the node's
  floor *or* below the tie threshold of the best Q found so far at that node (a Q below
  that threshold can be neither the maximum nor the reported choice, since the final best
  can only be higher).

The whole-array kernels (transitions, columns, Q-values, the approximate evaluation, the
sweep's tables) are in :mod:`steerherd.dp.fast_numba_steps`.

All functions use ``cache=True``: the first call in a fresh environment compiles (seconds),
later processes load the cached machine code.
"""

# Scalar code on numpy arrays: element reads are Any to mypy.
# mypy: disable-error-code="no-any-return"
from __future__ import annotations

import numpy as np
from numba import njit

from steerherd.dp.fast_numba_bounds import _first_ge, _range_max, _terms, block_bound, locate

_NEG = -np.inf


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
def search(v: np.ndarray, belief: np.ndarray, j0: np.ndarray, stop: int, q_grid: np.ndarray,
           cost_q: np.ndarray, p: float, c_loss: float, altruistic: bool, delta: float,
           pos: np.ndarray, left: np.ndarray, first: np.ndarray, last: np.ndarray,
           spacing: np.ndarray, right: np.ndarray, edges: np.ndarray, edge_node: np.ndarray,
           snap: float, cell_ge: np.ndarray, table: np.ndarray, log2: np.ndarray, pad: float,
           slack: float, tie: float, concave: bool, s_max: np.ndarray, s_min: np.ndarray,
           levels: np.ndarray, floor: np.ndarray, exact_best: np.ndarray, dv_table: np.ndarray,
           mem_start: np.ndarray, mem_int: np.ndarray, mem_flt: np.ndarray,
           blk_start: np.ndarray, blk_int: np.ndarray, blk_ub: np.ndarray, pruned: np.ndarray,
           grid_best: np.ndarray, grid_arg: np.ndarray, grid_col: np.ndarray,
           spare_int: np.ndarray, spare_flt: np.ndarray, spare_bint: np.ndarray,
           spare_bub: np.ndarray, o_start: np.ndarray, b_start: np.ndarray, keep: bool = True
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int, int,
                      int]:  # pragma: no cover
    """The structured sweep over all nodes (see the module docstring).

    Every node's followed grid indices [j0, stop) end up partitioned into evaluated pairs and
    pruned blocks, which are returned for the next sweep of the same problem:

    * pairs: ``mem_int`` rows (node, j, lo_g, lo_b; int32, as all kept integers: half the
      bytes a later sweep streams), ``mem_flt`` rows (Q, reward, w0..w3);
      their transitions do not depend on V, so the next sweep re-evaluates them with four
      products instead of a Bayes step;
    * pruned blocks: ``blk_int`` rows (node, lo, hi, level, g_lo, g_hi, h_lo, h_hi) with
      their bound ``blk_ub`` (level −1: a node's whole range [j0, stop), which a fresh
      search bounds first); [g_lo, g_hi] and [h_lo, h_hi] are the node ranges the block's
      successors interpolate between (every interpolation node of every pair in the
      block, ``test_pruned_blocks_hold_their_interpolation_nodes``), so at the next V each
      Q in the block moved by at most δ·[P_G·max ΔV over the first range + (1 − P_G)·max ΔV
      over the second] (the weights on each side sum to P_G and 1 − P_G, and P_G is linear
      in q, so the larger of the block's two ends bounds it): the old bound plus that is a
      bound at the new V, and only a block where it reaches the floor is bounded afresh.

    ``mem_start``/``blk_start`` (S + 1 offsets) locate each node's rows; empty at the first
    sweep, when every node starts from its top-level blocks. ``o_start``/``b_start`` receive
    the same offsets for this sweep's pairs and blocks (the next sweep's ``mem_start`` and
    ``blk_start``). ``dv_table`` is the range-max
    table of V − V_old. Fills ``pruned`` (max bound of the pruned blocks), ``grid_best``,
    ``grid_arg`` and ``grid_col`` (−1 where none) and returns this sweep's pairs and blocks
    in the same form and the number of block bounds computed.

    ``spare_*``: output buffers to write into (rows, or blocks, with their four arrays' first
    dimensions equal) when they hold at least the starting capacity (else fresh ones are
    allocated; zero-row arrays: always): a caller that reuses buffers avoids the page faults
    of fresh memory. The outputs are returned whole, with the pair and block counts: the
    first ``count`` rows (``n_blk`` blocks) are this sweep's.

    ``keep=False``: nothing is written for the next sweep (a sweep expected to be the last:
    its caller keeps the input memory, still valid for a later sweep); ``count`` is then the
    number of pairs evaluated and ``n_blk`` 0.
    """
    n = v.size
    cap = 2 * n + 64 + mem_int.shape[0] + mem_int.shape[0] // 4
    if spare_int.shape[0] >= cap:
        cap = spare_int.shape[0]
        o_int, o_flt = spare_int, spare_flt
    else:
        o_int = np.empty((cap, 4), dtype=np.int32)
        o_flt = np.empty((cap, 6))
    bcap = 4 * n + 64 + blk_int.shape[0] + blk_int.shape[0] // 4
    if spare_bint.shape[0] >= bcap:
        bcap = spare_bint.shape[0]
        b_int, b_ub = spare_bint, spare_bub
    else:
        b_int = np.empty((bcap, 8), dtype=np.int32)
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
    loc_j = np.empty(stop + 1, dtype=np.int64)  # this node's evaluated pairs: j, Q
    loc_q = np.empty(stop + 1)
    n_eval = 0
    wait, backoff = 0, 1  # the next node that tries its whole range first; the back-off
    for i in range(n):
        tried = -1
        b = belief[i]
        o_start[i], b_start[i] = count, n_blk
        nl = 0
        gbest = _NEG
        garg = -1
        fl = floor[i]
        pruned[i] = _NEG
        sp = 0
        # the previous node's best grid index, where a grid precision won there: the blocks
        # that hold it will not prune here either, so they are expanded without a bound
        seed = -1
        if i > 0 and grid_arg[i - 1] >= j0[i] and grid_best[i - 1] > exact_best[i - 1]:
            seed = grid_arg[i - 1]
        if j0[i] < stop:
            if remembered:
                # the old pairs, re-evaluated from their transitions
                for k in range(mem_start[i], mem_start[i + 1]):
                    j = mem_int[k, 1]
                    g, h = mem_int[k, 2], mem_int[k, 3]
                    if delta == 0.0:
                        qv = mem_flt[k, 1]
                    else:
                        a1 = v[g + 1] if g + 1 < n else 0.0
                        b1 = v[h + 1] if h + 1 < n else 0.0
                        qv = mem_flt[k, 1] + delta * (mem_flt[k, 2] * v[g] + mem_flt[k, 3] * a1
                                                      + mem_flt[k, 4] * v[h] + mem_flt[k, 5] * b1)
                    loc_j[nl], loc_q[nl] = j, qv
                    nl += 1
                    if keep:
                        if count == cap:
                            cap *= 2
                            o_int, o_flt = _grow(o_int, o_flt, cap)
                        for c in range(4):
                            o_int[count, c] = mem_int[k, c]
                        o_flt[count, 0] = qv
                        for c in range(1, 6):
                            o_flt[count, c] = mem_flt[k, c]
                        count += 1
                    if qv > gbest or (qv == gbest and j < garg):
                        gbest, garg = qv, j
                # the old pruned blocks, their bounds lifted by δ·[P_G·max ΔV over the G
                # successors' nodes + (1 − P_G)·max ΔV over the B successors'] (the weights
                # on each side sum to P_G and 1 − P_G; P_G is linear in q: the larger end).
                # One still below the threshold now stays pruned at once (the threshold only
                # rises); the others go on the stack, to be bounded afresh
                best = max(exact_best[i], gbest)
                dyn = max(fl, best - tie * max(1.0, abs(best)))
                for k in range(blk_start[i], blk_start[i + 1]):
                    m_g = _range_max(dv_table, log2, blk_int[k, 4], blk_int[k, 5])
                    m_b = _range_max(dv_table, log2, blk_int[k, 6], blk_int[k, 7])
                    qa, qz = q_grid[blk_int[k, 1]], q_grid[blk_int[k, 2]]
                    pa = b * qa + (1.0 - b) * (1.0 - qa)
                    pz = b * qz + (1.0 - b) * (1.0 - qz)
                    shift = max(pa * m_g + (1.0 - pa) * m_b, pz * m_g + (1.0 - pz) * m_b)
                    ub = blk_ub[k] + delta * shift
                    ub += slack * max(1.0, abs(ub))
                    if ub < dyn:
                        pruned[i] = max(pruned[i], ub)
                        if keep:
                            if n_blk == bcap:
                                bcap *= 2
                                b_int, b_ub = _grow_blocks(b_int, b_ub, bcap)
                            for c in range(8):
                                b_int[n_blk, c] = blk_int[k, c]
                            b_ub[n_blk] = ub
                            n_blk += 1
                        continue
                    st_lo[sp], st_hi[sp], st_lv[sp], st_ub[sp] = (blk_int[k, 1], blk_int[k, 2],
                                                                  blk_int[k, 3], ub)
                    st_src[sp] = k
                    sp += 1
            elif (stop - 1) // top > j0[i] // top and i >= wait and seed < 0:
                # [j0, stop) whole first (level −1: where one bound prunes the node, it saves
                # the top-level blocks' bounds); its children are the top-level blocks
                # [k·top, (k+1)·top) ∩ [j0, stop). Nodes where it fails tend to be
                # neighbours: after a failure, the next `backoff` nodes skip it (doubling)
                tried = i
                st_lo[0], st_hi[0], st_lv[0], st_src[0] = j0[i], stop - 1, -1, -1
                n_bounds += 1
                st_ub[0] = block_bound(b, j0[i], stop - 1, q_grid, cost_q, p, c_loss,
                                       altruistic, concave, delta, v, pos, cell_ge, table,
                                       s_max, s_min, log2, pad, slack,
                                       max(fl, exact_best[i] - tie * max(1.0,
                                                                         abs(exact_best[i]))))
                sp = 1
            else:
                # top-level blocks [k·top, (k+1)·top) ∩ [j0, stop), pushed in bound order
                nc = 0
                top_dyn = max(fl, exact_best[i] - tie * max(1.0, abs(exact_best[i])))
                k0 = (j0[i] // top) * top
                for lo in range(k0, stop, top):
                    a = max(lo, j0[i])
                    z = min(lo + top, stop) - 1
                    ch_lo[nc], ch_hi[nc] = a, z
                    nc += 1
                    if a <= seed <= z:
                        ch_ub[nc - 1] = np.inf
                        continue
                    n_bounds += 1
                    ch_ub[nc - 1] = block_bound(b, a, z, q_grid, cost_q, p, c_loss, altruistic,
                                                concave, delta, v, pos, cell_ge, table, s_max,
                                                s_min, log2, pad, slack, top_dyn)
                sp = _push(ch_lo, ch_hi, ch_ub, nc, 0, st_lo, st_hi, st_lv, st_ub, st_src, sp)
            while sp > 0:
                sp -= 1
                a, z, lv, ub, src = st_lo[sp], st_hi[sp], st_lv[sp], st_ub[sp], st_src[sp]
                best = max(exact_best[i], gbest)
                dyn = max(fl, best - tie * max(1.0, abs(best)))
                if ub >= dyn and src >= 0:  # a lifted old bound that reaches: bound afresh
                    n_bounds += 1
                    ub = block_bound(b, a, z, q_grid, cost_q, p, c_loss, altruistic, concave,
                                     delta, v, pos, cell_ge, table, s_max, s_min, log2, pad,
                                     slack, dyn)
                if ub < dyn:
                    if tried == i:  # the whole range pruned
                        backoff = 1
                    pruned[i] = max(pruned[i], ub)
                    if not keep:
                        continue
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
                if lv < 0 and tried == i:  # the whole range did not prune: back off
                    wait, backoff = i + backoff, min(2 * backoff, 64)
                    tried = -1
                if lv + 1 < n_lev:
                    size = levels[lv + 1]
                    nc = 0
                    for lo in range(a if lv >= 0 else (a // size) * size, z + 1, size):
                        la = max(lo, a)
                        zz = min(lo + size, z + 1) - 1
                        ch_lo[nc], ch_hi[nc] = la, zz
                        nc += 1
                        if la <= seed <= zz:
                            ch_ub[nc - 1] = np.inf
                            continue
                        n_bounds += 1
                        ch_ub[nc - 1] = block_bound(b, la, zz, q_grid, cost_q, p, c_loss,
                                                    altruistic, concave, delta, v, pos, cell_ge,
                                                    table, s_max, s_min, log2, pad, slack, dyn)
                    sp = _push(ch_lo, ch_hi, ch_ub, nc, lv + 1, st_lo, st_hi, st_lv, st_ub, st_src,
                               sp)
                    continue
                for j in range(a, z + 1):
                    t = pair(b, i, q_grid[j], cost_q[j], c_loss, altruistic, pos, left, first,
                             last, spacing, right, edges, edge_node, snap)
                    qv = _q(v, delta, t)
                    loc_j[nl], loc_q[nl] = j, qv
                    nl += 1
                    if keep:
                        if count == cap:
                            cap *= 2
                            o_int, o_flt = _grow(o_int, o_flt, cap)
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
        for r in range(nl):
            if loc_q[r] >= thr and (col < 0 or loc_j[r] < col):
                col = loc_j[r]
        grid_col[i] = col
        n_eval += nl
    o_start[n], b_start[n] = count, n_blk
    if not keep:
        return o_int, o_flt, b_int, b_ub, n_bounds, n_eval, 0
    # whole buffers, not copies (the caller takes views and may reuse the buffers)
    return o_int, o_flt, b_int, b_ub, n_bounds, count, n_blk


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
    a = np.empty((cap, 8), dtype=np.int32)
    a[: b_int.shape[0]] = b_int
    f = np.empty(cap)
    f[: b_ub.size] = b_ub
    return a, f


@njit(cache=True)
def _grow(o_int: np.ndarray, o_flt: np.ndarray, cap: int
          ) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
    a = np.empty((cap, 4), dtype=np.int32)
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
