"""One chosen candidate per node: the rows of the controlled chain, and the greedy step.

Also the optional continuous refinement of the best grid precision: a golden-section search
of Q(b, ·) between the grid neighbours of the best grid precision, restricted to precisions
the agent follows (below the switching precision Q is monotone, so the exact candidates p and
m⁻ already hold its maximum there). The refined precisions join the candidate set as one more
column, so every solve is of a finite MDP and keeps its certificate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from steerherd.agents import AgentModel
from steerherd.dp.bellman import (
    KIND_GRID,
    KIND_REFINED,
    Transitions,
    greedy,
    transitions_for,
)
from steerherd.dp.evaluate import evaluate_rows
from steerherd.dp.grid import BeliefGrid
from steerherd.dp.kernel import expected_value
from steerherd.model import Params
from steerherd.types import FloatArray, IntArray

if TYPE_CHECKING:  # scipy is imported where the LU runs: the fast solver's path needs none
    import scipy.sparse as sp

_GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0
#: Golden-section steps: the bracket (two grid spacings) shrinks by 0.618^40 ≈ 4e-9.
_REFINE_STEPS = 40


@dataclass(frozen=True, eq=False)
class PolicyRows:
    """The chosen candidate at every node: precision, reward and successor interpolation."""

    q: FloatArray
    side: IntArray
    kind: IntArray
    reward: FloatArray
    lo_g: IntArray
    lo_b: IntArray
    weights: FloatArray  # shape (4, S)

    def matrix(self) -> sp.csr_matrix:
        """The controlled chain's transition matrix P_σ (sparse, at most 4 entries a row)."""
        import scipy.sparse as sp

        n = self.q.size
        rows = np.tile(np.arange(n), 4)
        cols = np.concatenate([self.lo_g, self.lo_g + 1, self.lo_b, self.lo_b + 1])
        vals = self.weights.reshape(-1)
        keep = vals != 0.0
        return sp.csr_matrix((vals[keep], (rows[keep], cols[keep])), shape=(n, n))

    def expected_next(self, v: FloatArray) -> FloatArray:
        """E[V(b')] under the chosen candidates."""
        return expected_value(v, self.lo_g, self.lo_b, self.weights)


def select(tr: Transitions, policy: IntArray) -> PolicyRows:
    """The rows of ``tr`` picked by ``policy`` (a candidate index per node)."""
    cols = tr.reward.shape[1]
    flat = np.arange(0, policy.size * cols, cols) + policy  # (row, policy[row]), flattened
    return PolicyRows(
        q=tr.q.take(flat),
        side=tr.side.take(flat),
        kind=tr.kind[policy],
        reward=tr.reward.take(flat),
        lo_g=tr.lo_g.take(flat),
        lo_b=tr.lo_b.take(flat),
        weights=tr.weights.reshape(tr.weights.shape[0], -1).take(flat, axis=1),
    )


@dataclass(frozen=True, eq=False)
class Problem:
    """Everything the greedy step needs: the model, the grid and the transitions."""

    params: Params
    grid: BeliefGrid
    q_grid: FloatArray
    agent: AgentModel
    transitions: Transitions
    refine: bool = False


def improve(
    problem: Problem,
    v: FloatArray | None,
    keep: PolicyRows | None = None,
    tie: float = 0.0,
    qv: FloatArray | None = None,
) -> tuple[PolicyRows, FloatArray]:
    """The greedy step: (best rows, (T V) at every node); ``v=None`` means V = 0.

    Args:
        problem: the discretised problem.
        v: values at the nodes, or None for zero.
        keep: a current policy (policy iteration): a node keeps its candidate when that is
            exactly as good as the best, so that the iteration does not cycle between ties.
        tie: relative tie tolerance for the candidate order (see :func:`greedy`).
        qv: the Q-values at ``v`` if the caller already has them (they are not recomputed).
    """
    tr = problem.transitions
    if v is None:
        v = np.zeros(problem.grid.size)
        qv = tr.reward
    elif qv is None:
        qv = tr.q_values(v)
    policy, best = greedy(qv, tie)
    rows = select(tr, policy)
    if keep is not None:
        keep_value = keep.reward + tr.delta * keep.expected_next(v)
        tied = keep_value >= best
        rows = merge(tied, keep, rows)
    return rows, best


def merge(mask: np.ndarray, a: PolicyRows, b: PolicyRows) -> PolicyRows:
    """Rows from ``a`` where ``mask``, else from ``b``."""
    return PolicyRows(
        q=np.where(mask, a.q, b.q),
        side=np.where(mask, a.side, b.side),
        kind=np.where(mask, a.kind, b.kind),
        reward=np.where(mask, a.reward, b.reward),
        lo_g=np.where(mask, a.lo_g, b.lo_g),
        lo_b=np.where(mask, a.lo_b, b.lo_b),
        weights=np.where(mask, a.weights, b.weights),
    )


def refined_precisions(problem: Problem, v: FloatArray) -> FloatArray:
    """Golden-section search of Q(b, ·) around the best grid precision at every node.

    The bracket is the best grid precision's two neighbours, cut at the agent's switching
    precision (below it Q is monotone, and the exact candidates p and m⁻ hold the maximum).
    Returns one precision per node (the bracket's end where the bracket is empty).
    """
    tr, q_grid = problem.transitions, problem.q_grid
    qv = tr.q_values(v)
    grid_cols = np.flatnonzero(tr.kind == KIND_GRID)
    j = np.argmax(qv[:, grid_cols], axis=1)
    lo = q_grid[np.maximum(j - 1, 0)]
    hi = q_grid[np.minimum(j + 1, q_grid.size - 1)]
    crit = problem.agent.critical_precision(problem.grid.belief)
    if crit is not None:
        lo = np.clip(np.maximum(lo, crit), None, hi)
    a, c = lo.copy(), hi.copy()
    x1, x2 = c - _GOLDEN * (c - a), a + _GOLDEN * (c - a)
    f1, f2 = _q_at(problem, v, x1), _q_at(problem, v, x2)
    for _ in range(_REFINE_STEPS):
        left = f1 >= f2
        a, c = np.where(left, a, x1), np.where(left, x2, c)
        x1, x2 = (
            np.where(left, c - _GOLDEN * (c - a), x2),
            np.where(left, x1, a + _GOLDEN * (c - a)),
        )
        f_new = _q_at(problem, v, np.where(left, x1, x2))
        f1, f2 = np.where(left, f_new, f2), np.where(left, f1, f_new)
    best: FloatArray = np.where(f1 >= f2, x1, x2)
    return best


def _q_at(problem: Problem, v: FloatArray, q: FloatArray) -> FloatArray:
    """Q(b_i, q_i) at every node i for one precision per node."""
    node = np.arange(v.size)
    zero = np.zeros((q.size, 1), dtype=np.int64)
    reward, lo_g, lo_b, w = transitions_for(
        problem.params, problem.grid, problem.grid.belief, node, q[:, None], zero, problem.agent
    )
    return (reward + problem.transitions.delta * expected_value(v, lo_g, lo_b, w))[:, 0]


def with_candidates(problem: Problem, q: FloatArray) -> Problem:
    """The problem with one more candidate per node (kind ``refined``) at precision ``q``."""
    tr = problem.transitions
    node = np.arange(q.size)
    zero = np.zeros((q.size, 1), dtype=np.int64)
    reward, lo_g, lo_b, w = transitions_for(
        problem.params, problem.grid, problem.grid.belief, node, q[:, None], zero, problem.agent
    )
    augmented = Transitions(
        q=np.concatenate([tr.q, q[:, None]], axis=1),
        side=np.concatenate([tr.side, zero], axis=1),
        kind=np.append(tr.kind, KIND_REFINED),
        reward=np.concatenate([tr.reward, reward], axis=1),
        lo_g=np.concatenate([tr.lo_g, lo_g], axis=1),
        lo_b=np.concatenate([tr.lo_b, lo_b], axis=1),
        weights=np.concatenate([tr.weights, w], axis=2),
        delta=tr.delta,
    )
    return Problem(
        params=problem.params,
        grid=problem.grid,
        q_grid=problem.q_grid,
        agent=problem.agent,
        transitions=augmented,
        refine=problem.refine,
    )


def evaluate_policy(rows: PolicyRows, delta: float) -> FloatArray:
    """V_σ: solve (I − δ P_σ) V = r_σ to within 2e-13 (:func:`steerherd.dp.evaluate.evaluate_rows`).

    The contraction (with its correction), or the sparse LU where that would be slow: the
    same function, on the same rows, as the fast solver's final evaluation, so the two
    solvers' values and certificates agree bit for bit where they settle on the same policy.
    """
    if delta == 0.0:
        return rows.reward.copy()
    return evaluate_rows(rows, delta)
