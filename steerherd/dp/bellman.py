r"""The Bellman operator on the belief grid, with exact candidate precisions.

For a belief b and a precision q the agent takes G with probability
``P_G = b·P(G|G) + (1 − b)·P(G|B)`` and the public belief moves to
``b'_G = b·P(G|G)/P_G`` or ``b'_B = b·P(B|G)/(1 − P_G)`` (to b itself in a cascade). So

    (T V)(b) = sup_q  r(b, q) + δ [P_G V(b'_G) + (1 − P_G) V(b'_B)].

Each (node, candidate) pair therefore has two successors, each interpolated between two
nodes: the transition is stored as two index arrays and four weight arrays of shape
(nodes, candidates), never as a dense nodes × candidates × nodes tensor.

The candidates at each belief are, in this order (which is also the order that breaks
ties, so that a reported mode never depends on rounding):

=====  =========================  =========================================
kind   precision                  meaning
=====  =========================  =========================================
0      p                          the free baseline
1      1                          a perfect signal
2      m = max(b, 1 − b)          the least precision the agent still follows
3      m⁻ (limit from below)      the agent ignores its signal (obfuscation)
4      m⁺ (limit from above)      just past the tie: a successor is 1/2 ± 0
5      the precision grid         evenly spaced on [q_min, 1]
6      a refined precision        continuous refinement of the best grid point
=====  =========================  =========================================

The limits m⁻ and m⁺ are suprema that no precision attains; they are evaluated exactly, as
limits (the cost β is continuous, the agent's behaviour and the successor's side are taken
from the side of the limit), and reported as not attained.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from steerherd.agents import AgentModel
from steerherd.dp.grid import BeliefGrid
from steerherd.dp.kernel import expected_value
from steerherd.model import TIE_TOL, Params, reward_from_actions, successors
from steerherd.model.tolerances import TIE_Q  # noqa: F401  (the table of tolerances)
from steerherd.types import FloatArray, IntArray

KIND_BASELINE, KIND_FULL, KIND_CRITICAL, KIND_BELOW, KIND_ABOVE, KIND_GRID, KIND_REFINED = range(7)
KIND_NAMES = ("p", "1", "m", "m-", "m+", "grid", "refined")
N_EXACT = 5



@dataclass(frozen=True, eq=False)
class Transitions:
    """Rewards and successor interpolation for every (node, candidate) pair.

    Attributes:
        q: precisions, shape (S, A); for kinds m⁻ and m⁺ the limit value.
        side: −1 for m⁻, +1 for m⁺, 0 otherwise, shape (S, A).
        kind: candidate kind codes, shape (A,).
        reward: r(b, q); −inf where the candidate is infeasible, shape (S, A).
        lo_g, lo_b: lower interpolation nodes of the two successors, shape (S, A).
        weights: shape (4, S, A): weights of V[lo_g], V[lo_g + 1], V[lo_b], V[lo_b + 1].
        delta: the discount factor.
    """

    q: FloatArray
    side: IntArray
    kind: IntArray
    reward: FloatArray
    lo_g: IntArray
    lo_b: IntArray
    weights: FloatArray
    delta: float

    @property
    def shape(self) -> tuple[int, int]:
        """(nodes, candidates)."""
        return self.reward.shape  # type: ignore[return-value]

    def expected_next(self, v: FloatArray) -> FloatArray:
        """E[V(b')] for every pair, shape (S, A)."""
        return expected_value(v, self.lo_g, self.lo_b, self.weights)

    def q_values(self, v: FloatArray) -> FloatArray:
        """Q(b, q) = r(b, q) + δ E[V(b')] for every pair, shape (S, A)."""
        if self.delta == 0.0:
            return self.reward.copy()
        return self.reward + self.delta * self.expected_next(v)


def candidate_precisions(
    params: Params, belief: FloatArray, q_grid: FloatArray, agent: AgentModel
) -> tuple[FloatArray, IntArray, IntArray, np.ndarray]:
    """Candidate precisions per node: (q, side, kind, feasible), q of shape (S, A)."""
    n = belief.size
    crit = agent.critical_precision(belief)
    m = np.full(n, np.nan) if crit is None else np.asarray(crit, dtype=np.float64)
    exact = np.stack([np.full(n, params.p), np.ones(n), m, m, m], axis=1)
    q = np.concatenate([exact, np.broadcast_to(q_grid, (n, q_grid.size))], axis=1)
    kind = np.concatenate([np.arange(N_EXACT), np.full(q_grid.size, KIND_GRID)]).astype(np.int64)
    side = np.zeros(q.shape, dtype=np.int64)
    side[:, KIND_BELOW] = -1
    side[:, KIND_ABOVE] = 1
    feasible = (q >= params.q_min - TIE_TOL) & (q <= 1.0 + TIE_TOL)
    feasible[:, KIND_BELOW] &= m > params.q_min + TIE_TOL
    feasible[:, KIND_ABOVE] &= m < 1.0 - TIE_TOL
    feasible &= ~np.isnan(q)
    q = np.where(np.isnan(q), params.p, q)
    return q, side, kind, feasible


def transitions_for(
    params: Params,
    grid: BeliefGrid,
    belief: FloatArray,
    node: IntArray,
    q: FloatArray,
    side: IntArray,
    agent: AgentModel,
) -> tuple[FloatArray, IntArray, IntArray, FloatArray]:
    """Reward, successor nodes and weights for precisions q (shape (S, K)) at given nodes.

    Returns:
        ``reward, lo_g, lo_b, weights`` as in :class:`Transitions`.
    """
    b = belief[:, None]
    good_g, good_b = agent.action_probs(b, q, side)
    reward = reward_from_actions(params, b, q, good_g, good_b)
    p_good, succ_g, succ_b, moves = successors(b, good_g, good_b, side)
    # b'_G rises and b'_B falls with q, so a limit q ± 0 puts b'_G on side ±, b'_B on side ∓.
    lo_g, lam_g = grid.locate(succ_g, side)
    lo_b, lam_b = grid.locate(succ_b, -side)
    self_node = np.broadcast_to(node[:, None], q.shape)
    lo_g = np.where(moves, lo_g, self_node)
    lo_b = np.where(moves, lo_b, self_node)
    lam_g = np.where(moves, lam_g, 0.0)
    lam_b = np.where(moves, lam_b, 0.0)
    weights = np.stack(
        [p_good * (1 - lam_g), p_good * lam_g, (1 - p_good) * (1 - lam_b), (1 - p_good) * lam_b]
    )
    return reward, lo_g, lo_b, weights


#: Rows per block when building transitions: blocks of ~50k pairs stay in cache, which makes
#: the build about 1.5x faster than one pass over all pairs (measured at 2001 x 406).
_BLOCK_ROWS = 128


def build_transitions(
    params: Params, grid: BeliefGrid, q_grid: FloatArray, agent: AgentModel
) -> Transitions:
    """Candidates, rewards and successor interpolation on the whole grid."""
    q, side, kind, feasible = candidate_precisions(params, grid.belief, q_grid, agent)
    reward = np.empty(q.shape)
    lo_g = np.empty(q.shape, dtype=np.int64)
    lo_b = np.empty(q.shape, dtype=np.int64)
    weights = np.empty((4, *q.shape))
    node = np.arange(grid.size)
    for start in range(0, grid.size, _BLOCK_ROWS):
        rows = slice(start, start + _BLOCK_ROWS)
        reward[rows], lo_g[rows], lo_b[rows], weights[:, rows] = transitions_for(
            params, grid, grid.belief[rows], node[rows], q[rows], side[rows], agent
        )
    reward[~feasible] = -np.inf
    return Transitions(
        q=q, side=side, kind=kind, reward=reward, lo_g=lo_g, lo_b=lo_b, weights=weights,
        delta=params.delta,
    )


def greedy(qv: FloatArray, tie: float = 0.0) -> tuple[IntArray, FloatArray]:
    """Best candidate per node.

    Args:
        qv: Q-values, shape (S, A).
        tie: relative tolerance: the first candidate (in candidate order) whose Q is within
            ``tie·max(1, |max Q|)`` of the best is chosen. Solvers use 0 (a plain argmax, so
            the policy they evaluate is exactly greedy); reported policies use TIE_Q, so that a
            reported mode never depends on rounding.

    Returns:
        ``(policy, value)``: candidate index and max Q per node.
    """
    best = qv.max(axis=1)
    if tie == 0.0:
        return np.argmax(qv, axis=1), best
    tol = tie * np.maximum(1.0, np.abs(best))
    return np.argmax(qv >= (best - tol)[:, None], axis=1), best
