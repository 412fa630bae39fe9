r"""The fast solver's view of a problem and its block bounds.

:class:`Setting` holds what every sweep of one discretised problem shares (the exact
candidates' transitions, the agent's switching indices, the nearest ignored grid precision,
lookup tables). :func:`block_bounds` bounds Q over a block of consecutive followed grid
precisions at a node: sup r + δ · max over the two ends of P_G M_G + (1 − P_G) M_B, M_G and
M_B bounds of the interpolated V over the ranges the monotone successors b'_G(q) ↑ and
b'_B(q) ↓ can reach (the argument is in :mod:`steerherd.dp.fast`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from steerherd.agents import AgentModel, Bayesian, Behavioral
from steerherd.dp.bellman import Transitions
from steerherd.dp.grid import BeliefGrid
from steerherd.model import TIE_TOL, Params
from steerherd.types import FloatArray, IntArray

#: Added to every block bound (relative to max(1, |bound|)) so that rounding in the bound's
#: own arithmetic can never skip a block that holds the maximum; it only costs pruning.
BOUND_SLACK = 1e-11
#: Successor beliefs are widened by this (and one node each side) when their node range is
#: looked up, so that rounding in b'(q) cannot leave an interpolation node out of the range.
RANGE_PAD = 1e-9
_NEG = -np.inf
_TINY = 1e-300


@dataclass(frozen=True, eq=False)
class Setting:
    """Everything about one discretised problem that the sweeps share.

    Attributes:
        params, grid, q_grid, agent: the problem (as in :class:`~steerherd.dp.policy.Problem`).
        exact: transitions of the exact candidates, shape (S, E) (infeasible: reward −inf).
        structured: the agent follows the known structure (see :func:`has_structure`).
        first_informative: per node, the first grid index the agent follows (0 if unstructured).
        near: per node, transitions of the ignored grid precision nearest p, shape (S, 1)
            (reward −inf where every grid precision is followed).
        lookup: :func:`node_lookup` of the grid.
        grid_stop: grid indices [0, grid_stop) are searched: the last grid precision is left
            out when it is 1 and the exact candidate 1 is feasible everywhere, because the
            two then have the same Q and the exact one precedes it (it is reported first).
    """

    params: Params
    grid: BeliefGrid
    q_grid: FloatArray
    agent: AgentModel
    exact: Transitions
    structured: bool
    first_informative: IntArray
    near: Transitions
    lookup: tuple[IntArray, IntArray]
    grid_stop: int



def has_structure(agent: AgentModel) -> bool:
    """Whether the agent model is one whose structure the pruning relies on.

    That structure: a switching precision m*(b) (``critical_precision``); at grid precisions
    q ≥ m*(b) − TIE_TOL the agent follows its signal, P(G|G) = q and P(G|B) = 1 − q; below it
    the agent takes the cascade action (G iff b > 1/2) whatever q is. The Bayesian agent and the
    deterministic behavioural agent have it; :func:`check_structure` verifies it numerically.
    """
    if isinstance(agent, Bayesian):
        return True
    return isinstance(agent, Behavioral) and agent.lam is None


def first_informative(q_grid: FloatArray, crit: FloatArray) -> IntArray:
    """Per node, the first grid index with q ≥ m*(b) − TIE_TOL (the agent's own test)."""
    return np.searchsorted(q_grid, crit - TIE_TOL, side="left").astype(np.int64)


def check_structure(agent: AgentModel, belief: FloatArray, q_grid: FloatArray,
                    j0: IntArray, rows: int = 48) -> bool:
    """Verify the assumed structure on every node's switching edge and on a sample of nodes.

    Checks, at every node, the grid precisions just below and at ``j0`` and, on ``rows``
    evenly spaced nodes, every grid precision, against what ``agent.action_probs`` says
    (a few sampled nodes at a time, so that memory does not grow with the precisions). The
    sampled rows are skipped for :class:`~steerherd.agents.Bayesian` itself (not a subclass),
    whose rule is :func:`steerherd.model.beliefs.bayes_action_probs`: follow iff
    q ≥ max(b, 1 − b) − TIE_TOL, with P(G|G) = q and P(G|B) = 1 − q.
    """
    n = q_grid.size
    edges = (np.concatenate([np.arange(belief.size)] * 2),
             np.concatenate([np.clip(j0 - 1, 0, n - 1), np.clip(j0, 0, n - 1)]))
    if not _agrees(agent, belief, q_grid, j0, *edges):
        return False
    if type(agent) is Bayesian:  # the library's own rule (bayes_action_probs) has it exactly
        return True
    idx = np.unique(np.linspace(0, belief.size - 1, min(rows, belief.size)).astype(np.int64))
    for part in np.array_split(idx, max(1, idx.size // 8)):
        nodes = np.repeat(part, n)
        if not _agrees(agent, belief, q_grid, j0, nodes, np.tile(np.arange(n), part.size)):
            return False
    return True


def _agrees(agent: AgentModel, belief: FloatArray, q_grid: FloatArray, j0: IntArray,
            nodes: IntArray, j: IntArray) -> bool:
    """Whether the agent's action probabilities at (node, grid index) pairs fit the structure."""
    b, q = belief[nodes], q_grid[j]
    gg, gb = agent.action_probs(b, q)
    follows = j >= j0[nodes]
    cascade = np.where(b > 0.5, 1.0, 0.0)
    return bool(np.array_equal(gg, np.where(follows, q, cascade))
                and np.array_equal(gb, np.where(follows, 1.0 - q, cascade)))


def table_rows(n: int) -> int:
    """Rows of a range table over n entries: one per width 2^k ≤ n."""
    rows = 1
    while 2 ** rows <= n:
        rows += 1
    return rows


def range_table(v: FloatArray, minimum: bool = False) -> FloatArray:
    """Sparse table for range maxima: row k holds max(v[i : i + 2^k]) (−inf past the end).

    ``minimum``: the same for range minima (min, +inf past the end). Filled in place, row by
    row (no temporaries).
    """
    n = v.size
    rows = table_rows(n)
    table = np.empty((rows, n))
    table[0] = v
    op = np.minimum if minimum else np.maximum
    width = 1
    for k in range(1, rows):
        m = n - 2 * width + 1  # entries whose range [i, i + 2^k) fits
        op(table[k - 1, :m], table[k - 1, width:width + m], out=table[k, :m])
        table[k, m:] = np.inf if minimum else _NEG
        width *= 2
    return table


def _range_max(table: FloatArray, lo: IntArray, hi: IntArray) -> FloatArray:
    """max(v[lo..hi]) (inclusive) for arrays of ranges with lo ≤ hi."""
    length = hi - lo + 1
    k = np.frexp(length.astype(np.float64))[1] - 1  # floor(log2(length))
    out: FloatArray = np.maximum(table[k, lo], table[k, hi - (1 << k) + 1])
    return out


def node_lookup(grid: BeliefGrid) -> tuple[IntArray, IntArray]:
    """Node ranges in O(1): a lookup table over a uniform partition of [0, 1].

    Per cell c of the partition into M = 4·S cells, it holds the last node at or below c/M
    and the first node at or above it.
    """
    cells = 4 * grid.size
    x = np.arange(cells + 1) / cells
    # searchsorted(position, x) by counting: the nodes below cell c are those whose first
    # cell above them (a search of S nodes among the 4·S + 1 cells, not the reverse) is ≤ c
    below = np.searchsorted(x, grid.position, side="right")  # first c with x_c > pos
    at_or_below = np.searchsorted(x, grid.position, side="left")  # first c with x_c ≥ pos
    first_ge = np.cumsum(np.bincount(below, minlength=cells + 2)[: cells + 1])
    last_le = np.cumsum(np.bincount(at_or_below, minlength=cells + 2)[: cells + 1]) - 1
    top = grid.size - 1
    return np.clip(last_le, 0, top), np.clip(first_ge, 0, top)


def _first_ge(setting: Setting, y: FloatArray) -> IntArray:
    """Index of the first node whose position is ≥ y (S if none).

    The lookup table gives the answer for the start of y's cell; it is kept where it passes
    the definition (pos[n − 1] < y ≤ pos[n]) and searched for afresh where it does not.
    """
    pos = setting.grid.position
    size = pos.size
    last_le, first_ge = setting.lookup
    cells = last_le.size - 1
    n = first_ge[np.minimum(np.maximum(np.floor(y * cells), 0), cells).astype(np.int64)]
    n = np.where(y > pos[-1], size, n)
    ok = (n >= size) | (pos[np.minimum(n, size - 1)] >= y)
    ok &= (n == 0) | (pos[np.maximum(n - 1, 0)] < y)
    bad = np.flatnonzero(~ok)
    if bad.size:
        flat = n.reshape(-1)  # a view: n is a fresh array
        flat[bad] = np.searchsorted(pos, y.reshape(-1)[bad], side="left")
    return n


def _max_over(setting: Setting, table: FloatArray, v: FloatArray, y_lo: FloatArray,
              y_hi: FloatArray) -> FloatArray:
    """An upper bound of the interpolated V over successors in [y_lo, y_hi].

    The interpolant is piecewise linear with kinks (and, at a breakpoint, jumps between the
    nodes x−, x, x+) only at node positions, so its maximum over the interval is at an end or at
    a node inside. The ends are interpolated here; the nodes taken are all those within
    RANGE_PAD of the interval, which also covers a successor that the transitions snap onto
    a node and the rounding of the ends themselves.
    """
    pos = setting.grid.position
    top = pos.size - 1
    a = _first_ge(setting, y_lo - RANGE_PAD)
    b = _first_ge(setting, y_hi + RANGE_PAD) - 1  # last node ≤ y_hi + pad
    inner = np.where(a <= b, _range_max(table, np.minimum(a, top), np.maximum(b, 0)), _NEG)
    out = inner
    for y in (y_lo, y_hi):
        hi = np.minimum(_first_ge(setting, y), top)
        lo = np.maximum(hi - 1, 0)
        span = pos[hi] - pos[lo]
        strict = (span > 0) & (pos[lo] < y) & (y < pos[hi])
        lam = np.clip((y - pos[lo]) / np.where(strict, span, 1.0), 0.0, 1.0)
        val = (1.0 - lam) * v[lo] + lam * v[hi]
        out = np.maximum(out, np.where(strict, val, _NEG))
    return out


def _max_coarse(setting: Setting, table: FloatArray, v: FloatArray, y_lo: FloatArray,
                y_hi: FloatArray) -> FloatArray:
    """A cheaper, looser bound than :func:`_max_over`.

    It is the largest V over a node range that surely contains every node the interpolant
    on [y_lo, y_hi] uses.

    The range runs from the last node at or below the lookup cell of y_lo − RANGE_PAD, less
    two, to the first node at or above the end of the cell of y_hi + RANGE_PAD, plus two (the
    extra nodes cover the three nodes x−, x, x+ of a breakpoint).
    """
    last_le, first_ge = setting.lookup
    cells = last_le.size - 1
    top = setting.grid.size - 1
    c_lo = np.clip(np.floor((y_lo - RANGE_PAD) * cells), 0, cells - 1).astype(np.int64)
    c_hi = np.clip(np.floor((y_hi + RANGE_PAD) * cells), 0, cells - 1).astype(np.int64)
    lo = np.maximum(last_le[c_lo] - 2, 0)
    hi = np.minimum(first_ge[c_hi + 1] + 2, top)
    return _range_max(table, lo, hi)


def _informative_terms(params: Params, b: FloatArray, q: FloatArray
                       ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """(loss, P_G, b'_G, b'_B) of a followed signal of precision q at belief b (for bounds).

    A zero denominator (b ∈ {0, 1} with q = 1) gives a successor 0 whose weight is 0.
    """
    omq = 1.0 - q
    p_good = b * q + (1.0 - b) * omq
    loss = omq if params.planner == "altruistic" else b * omq + (1.0 - b) * q
    succ_g = b * q / np.maximum(p_good, _TINY)
    succ_b = b * omq / np.maximum(1.0 - p_good, _TINY)
    return loss, p_good, succ_g, succ_b


def block_bounds(setting: Setting, table: FloatArray, v: FloatArray, nodes: IntArray,
                 start: IntArray, stop: IntArray, coarse: bool = False) -> FloatArray:
    """Upper bound of Q over grid indices [start, stop) at each node (all followed precisions).

    Shapes: ``nodes`` (R, 1), ``start`` and ``stop`` (R, K); returns (R, K). The reward's
    supremum takes the cost at the distance from p to the block and the smaller loss of the two
    ends (the loss is linear in q); the successors b'_G(q) ↑ and b'_B(q) ↓ are monotone in q,
    so over the block each stays within the range spanned by its values at the two ends, and
    E[V(b')] ≤ P_G M_G + (1 − P_G) M_B, linear in q, is largest at one end.
    """
    params, q_grid = setting.params, setting.q_grid
    b = setting.grid.belief[nodes]
    qa, qb = q_grid[start], q_grid[stop - 1]
    loss_a, pg_a, g_a, bb_a = _informative_terms(params, b, qa)
    loss_b, pg_b, g_b, bb_b = _informative_terms(params, b, qb)
    dist = np.maximum(np.maximum(qa - params.p, params.p - qb), 0.0)
    r_sup = -params.cost(dist) - params.C * np.minimum(loss_a, loss_b)
    if params.delta == 0.0:
        ub = r_sup
    else:
        over = _max_coarse if coarse else _max_over
        m_g = over(setting, table, v, np.minimum(g_a, g_b), np.maximum(g_a, g_b))
        m_b = over(setting, table, v, np.minimum(bb_a, bb_b), np.maximum(bb_a, bb_b))
        e_sup = np.maximum(pg_a * m_g + (1.0 - pg_a) * m_b, pg_b * m_g + (1.0 - pg_b) * m_b)
        ub = r_sup + params.delta * e_sup
    return ub + BOUND_SLACK * np.maximum(1.0, np.abs(ub))
