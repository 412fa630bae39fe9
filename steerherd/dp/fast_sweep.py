r"""The certifying sweep of the fast solver: T V over the FULL candidate set, pruned exactly.

For a value vector V the sweep returns, at every node, (T V)(b) = max over all candidates
(the exact ones p, 1, m, m⁻, m⁺ and every grid precision) of Q(b, q) = r(b, q) + δ E[V(b')],
and the candidate that :func:`steerherd.dp.bellman.greedy` with ``TIE_Q`` would report, as if
the full nodes × candidates array of Q-values existed. It never builds that array: it works
on chunks of nodes and evaluates a grid precision only where it could matter. Which grid
precisions can be skipped, and why, is stated in :mod:`steerherd.dp.fast`; in short:

* below the agent's switching precision m*(b) the agent ignores its signal, so every such
  grid precision has the same loss and the same successor (b itself) and Q differs only by
  the cost β(|q − p|): the one nearest p bounds them all exactly, and when an exact candidate
  (p or m⁻, which precede every grid point in the candidate order) is at least as good, none
  of them can be the maximum or the reported choice;
* above m*(b) a block of consecutive grid precisions is bounded from above by
  sup r + δ · max_ends [P_G M_G + (1 − P_G) M_B], M_G and M_B the largest V over the nodes
  that the monotone successors b'_G(q), b'_B(q) can reach from the block; a block whose bound
  is below the node's floor (the current best minus twice the tie tolerance) is skipped.

Agents whose structure is not known (a response table, a noisy behavioural agent) get every
grid precision evaluated, still in chunks of nodes, never as a nodes × precisions array.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from steerherd.dp.bellman import TIE_Q, Transitions, expected_value, transitions_for
from steerherd.dp.fast_bounds import BOUND_SLACK, Setting, block_bounds, range_table
from steerherd.types import FloatArray, IntArray

#: Block widths, coarse to fine: every node's followed grid precisions are cut into blocks
#: of the first width and bounded; a surviving block is cut into blocks of the next width and
#: bounded again; blocks of the last width that survive are evaluated.
LEVELS = (128, 32, 8)
#: (node, precision) pairs per chunk: bounds the sweep's temporaries to a few MB.
CHUNK_PAIRS = 32_768
_NEG = -np.inf


@dataclass(frozen=True, eq=False)
class SweepResult:
    """What one certifying sweep found.

    Attributes:
        tv: (T V) at every node, over the full candidate set.
        grid_best: the best grid precision's Q (−inf where none was evaluated).
        grid_arg: its grid index (−1 where none).
        exact_col: the reported exact candidate's column, −1 where a grid precision is reported.
        grid_col: the reported grid index, −1 where an exact candidate is reported.
        evaluated: (node, grid precision) pairs evaluated.
    """

    tv: FloatArray
    grid_best: FloatArray
    grid_arg: IntArray
    exact_col: IntArray
    grid_col: IntArray
    evaluated: int
    memory: Memory | None = None


@dataclass(frozen=True, eq=False)
class Memory:
    """What a sweep leaves for the next sweep of the same problem (structured agents).

    Between two sweeps only V changes, and each Q moves by δ·E[ΔV(b')] with the same
    weights, so Q_new ≤ Q_old + δ·max(0, max ΔV): a node whose old bounds, shifted by that,
    stay below its new floor needs no new search, only its old near-best pairs re-evaluated.

    Attributes:
        v: V at that sweep.
        pruned: per node, an upper bound (at ``v``) of Q over the followed grid precisions
            that were not evaluated (−inf if none).
        node, j, q: the evaluated (node, grid index) pairs and their Q at ``v``.
        compiled: the compiled kernel's pairs with their transitions, its pruned blocks,
            and each node's first pair and block (see
            :func:`steerherd.dp.fast_numba.search`), or None.
    """

    v: FloatArray
    pruned: FloatArray
    node: IntArray
    j: IntArray
    q: FloatArray
    compiled: tuple[IntArray, FloatArray, IntArray, FloatArray, IntArray, IntArray] | None = None



def q_values(tr: Transitions, v: FloatArray) -> FloatArray:
    """Q = r + δ E[V(b')] exactly as the full solver computes it (reward alone at δ = 0)."""
    return tr.q_values(v)


def sweep(setting: Setting, v: FloatArray, exact_q: FloatArray, floor: FloatArray,
          memory: Memory | None = None) -> SweepResult:
    """The certifying sweep at V (see the module docstring).

    Args:
        setting: the problem.
        v: values at the nodes.
        exact_q: Q-values of the exact candidates at ``v``, shape (S, E).
        floor: per node, a value at or below (best − tie tolerance) of the final maximum;
            every grid precision whose Q may reach it is evaluated.
        memory: the previous sweep's :class:`Memory` (same problem), or None.
    """
    n_nodes, n_q = setting.grid.size, setting.q_grid.size
    exact_best = exact_q.max(axis=1)
    grid_best = np.full(n_nodes, _NEG)
    grid_arg = np.full(n_nodes, -1, dtype=np.int64)
    grid_col = np.full(n_nodes, -1, dtype=np.int64)
    table = (range_table(v) if setting.structured and setting.params.delta != 0.0
             else np.zeros((1, 1)))
    near_q = q_values(setting.near, v)[:, 0]
    # Ignored grid precisions: skipped where an exact candidate is at least as good as the best
    # of them (the one nearest p); else (rare) all evaluated.
    check_ignored = (exact_best < near_q) & (near_q >= floor)
    width = LEVELS[-1] if setting.structured else n_q
    n_top = -(-n_q // (LEVELS[0] if setting.structured else n_q))
    rows_per_chunk = max(1, CHUNK_PAIRS // (n_top if setting.structured else n_q))
    evaluated = 0
    structured = setting.structured
    skip, pruned, recheck = _carry(setting, v, floor, memory) if structured else (None,) * 3
    new_pairs: list[tuple[IntArray, IntArray, FloatArray]] = []
    for c0 in range(0, n_nodes, rows_per_chunk):
        nodes = np.arange(c0, min(c0 + rows_per_chunk, n_nodes))
        if structured:
            assert pruned is not None
            search = nodes if skip is None else nodes[~skip[nodes]]
            pn, lo_j, hi_j, pruned[search] = _surviving(setting, table, v, search, floor)
            if recheck is not None:  # old near-best pairs of the nodes not searched again
                take = (recheck[0] >= c0) & (recheck[0] < c0 + nodes.size)
                pn = np.concatenate([pn, recheck[0][take]])
                lo_j = np.concatenate([lo_j, recheck[1][take]])
                hi_j = np.concatenate([hi_j, recheck[1][take] + 1])
            ign = nodes[check_ignored[nodes]]
            if ign.size:  # the rare float edge case: evaluate [0, j0) in blocks of ``width``
                cuts = [np.arange(0, setting.first_informative[i], width) for i in ign]
                reps = np.array([c.size for c in cuts], dtype=np.int64)
                ig_lo = np.concatenate(cuts).astype(np.int64)
                ig_node = np.repeat(ign, reps)
                ig_hi = np.minimum(ig_lo + width, setting.first_informative[ig_node])
                pn = np.concatenate([pn, ig_node])
                lo_j = np.concatenate([lo_j, ig_lo])
                hi_j = np.concatenate([hi_j, ig_hi])
        else:
            pn, lo_j = nodes, np.zeros(nodes.size, np.int64)
            hi_j = np.full(nodes.size, setting.grid_stop)
        if pn.size == 0:
            continue
        pr = pn - c0
        j = lo_j[:, None] + np.arange(width)
        valid = j < hi_j[:, None]
        j = np.where(valid, j, lo_j[:, None])
        evaluated += int(valid.sum())
        qb = _block_q(setting, v, pn, setting.q_grid[j])
        qb[~valid] = _NEG
        if structured:
            new_pairs.append((np.broadcast_to(pn[:, None], j.shape)[valid], j[valid], qb[valid]))
        rows = np.arange(pn.size)
        barg = np.argmax(qb, axis=1)
        bmax = qb[rows, barg]
        barg = j[rows, barg]
        local = np.full(nodes.size, _NEG)
        np.maximum.at(local, pr, bmax)
        grid_best[nodes] = local
        first_best = np.where(bmax == local[pr], barg, n_q)
        arg = np.full(nodes.size, n_q, dtype=np.int64)
        np.minimum.at(arg, pr, first_best)
        grid_arg[nodes] = np.where(arg < n_q, arg, -1)
        # The reported choice: first candidate (exact first, then grid order) within the tie.
        best = np.maximum(exact_best[pn], local[pr])
        thr = best - TIE_Q * np.maximum(1.0, np.abs(best))
        hit = qb >= thr[:, None]
        first = np.where(hit.any(axis=1), j[rows, np.argmax(hit, axis=1)], n_q)
        col = np.full(nodes.size, n_q, dtype=np.int64)
        np.minimum.at(col, pr, first)
        grid_col[nodes] = np.where(col < n_q, col, -1)
    tv = np.maximum(exact_best, grid_best)
    thr = tv - TIE_Q * np.maximum(1.0, np.abs(tv))
    exact_hit = exact_q >= thr[:, None]
    exact_col = np.where(exact_hit.any(axis=1), np.argmax(exact_hit, axis=1), -1)
    grid_col = np.where(exact_col >= 0, -1, grid_col)
    remember = None
    if structured and pruned is not None:
        parts = list(zip(*new_pairs, strict=True)) if new_pairs else [(), (), ()]
        remember = Memory(v=v.copy(), pruned=pruned,
                          node=np.concatenate([np.zeros(0, np.int64), *parts[0]]),
                          j=np.concatenate([np.zeros(0, np.int64), *parts[1]]),
                          q=np.concatenate([np.zeros(0), *parts[2]]))
    return SweepResult(tv=tv, grid_best=grid_best, grid_arg=grid_arg, exact_col=exact_col,
                       grid_col=grid_col, evaluated=evaluated, memory=remember)


def _carry(setting: Setting, v: FloatArray, floor: FloatArray, memory: Memory | None
           ) -> tuple[np.ndarray | None, FloatArray, tuple[IntArray, IntArray] | None]:
    """(nodes not searched again, carried pruned bounds, old pairs to re-evaluate).

    A node is not searched again when its old pruned bound and every old evaluated pair,
    shifted by δ·max(0, max(V − V_old)) and the bound slack, stay below the new floor, except
    for the old pairs that reach it: those are re-evaluated.
    """
    pruned = np.full(setting.grid.size, _NEG)
    if memory is None or setting.params.delta == 0.0:
        return None, pruned, None
    shift = setting.params.delta * max(0.0, float((v - memory.v).max())) * (1.0 + 1e-12)

    def lift(x: FloatArray) -> FloatArray:
        up = x + shift
        finite = np.isfinite(up)
        return np.where(finite, up + BOUND_SLACK * np.maximum(1.0, np.abs(np.where(finite, up, 0))),
                        up)

    carried = lift(memory.pruned)
    skip = carried < floor
    old = lift(memory.q)
    again = skip[memory.node] & (old >= floor[memory.node])
    pruned[skip] = carried[skip]
    stay = skip[memory.node] & ~again
    np.maximum.at(pruned, memory.node[stay], old[stay])
    return skip, pruned, (memory.node[again], memory.j[again])


def _surviving(setting: Setting, table: FloatArray, v: FloatArray, nodes: IntArray,
               floor: FloatArray) -> tuple[IntArray, IntArray, IntArray, FloatArray]:
    """Blocks of followed grid precisions whose bound reaches the floor, finest level.

    Returns (node, first grid index, stop) per surviving block, and per node of ``nodes`` the
    largest bound among the blocks it pruned (−inf if none).
    """
    n_q = setting.grid_stop
    top = LEVELS[0]
    pruned = np.full(nodes.size, _NEG)
    starts = np.arange(0, n_q, top)
    j0 = setting.first_informative[nodes][:, None]
    lo = np.maximum(starts, j0)
    hi = np.broadcast_to(np.minimum(starts + top, n_q), lo.shape)
    alive = lo < hi
    ub = block_bounds(setting, table, v, nodes[:, None], np.where(alive, lo, hi - 1), hi,
                      coarse=True)
    low = alive & (ub < floor[nodes][:, None])
    np.maximum.at(pruned, np.nonzero(low)[0], ub[low])
    alive &= ~low
    r, k = np.nonzero(alive)
    pr, lo_j, hi_j = r, lo[r, k], hi[r, k]
    for size, parent in zip(LEVELS[1:], LEVELS[:-1], strict=True):
        parts = -(-parent // size)
        sub_lo = (lo_j[:, None] + np.arange(parts) * size)
        sub_hi = np.minimum(sub_lo + size, hi_j[:, None])
        ok = sub_lo < sub_hi
        row2 = np.broadcast_to(pr[:, None], sub_lo.shape)
        node2 = nodes[row2]
        ub = block_bounds(setting, table, v, node2, np.where(ok, sub_lo, sub_hi - 1), sub_hi)
        low = ok & (ub < floor[node2])
        np.maximum.at(pruned, row2[low], ub[low])
        ok &= ~low
        r, k = np.nonzero(ok)
        pr, lo_j, hi_j = pr[r], sub_lo[r, k], sub_hi[r, k]
    return nodes[pr], lo_j, hi_j, pruned


def _block_q(setting: Setting, v: FloatArray, nodes: IntArray, q: FloatArray) -> FloatArray:
    """Q at the given nodes (P,) for grid precisions q (P, K), the full solver's arithmetic."""
    side = np.zeros(q.shape, dtype=np.int64)
    reward, lo_g, lo_b, w = transitions_for(setting.params, setting.grid,
                                            setting.grid.belief[nodes], nodes, q, side,
                                            setting.agent)
    if setting.params.delta == 0.0:
        return reward
    return reward + setting.params.delta * expected_value(v, lo_g, lo_b, w)
