"""One chosen candidate per node: the rows of the controlled chain, and the greedy step.

Also the optional continuous refinement of the best grid precision: a golden-section search
of Q(b, ·) between the grid neighbours of the best grid precision, restricted to precisions
the agent follows (below the switching precision Q is monotone, so the exact candidates p and
m⁻ already hold its maximum there).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from steerherd.agents import AgentModel
from steerherd.dp.bellman import KIND_GRID, KIND_REFINED, Transitions, greedy
from steerherd.dp.bellman import transitions_for
from steerherd.dp.grid import BeliefGrid
from steerherd.model import Params
from steerherd.types import FloatArray, IntArray

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
        n = self.q.size
        rows = np.tile(np.arange(n), 4)
        cols = np.concatenate([self.lo_g, self.lo_g + 1, self.lo_b, self.lo_b + 1])
        vals = self.weights.reshape(-1)
        keep = vals != 0.0
        return sp.csr_matrix((vals[keep], (rows[keep], cols[keep])), shape=(n, n))

    def expected_next(self, v: FloatArray) -> FloatArray:
        """E[V(b')] under the chosen candidates."""
        vp = np.append(v, 0.0)
        w = self.weights
        return w[0] * vp[self.lo_g] + w[1] * vp[self.lo_g + 1] + w[2] * vp[self.lo_b] + w[
            3
        ] * vp[self.lo_b + 1]


def select(tr: Transitions, policy: IntArray) -> PolicyRows:
    """The rows of ``tr`` picked by ``policy`` (a candidate index per node)."""
    rows = np.arange(policy.size)
    return PolicyRows(
        q=tr.q[rows, policy],
        side=tr.side[rows, policy],
        kind=tr.kind[policy],
        reward=tr.reward[rows, policy],
        lo_g=tr.lo_g[rows, policy],
        lo_b=tr.lo_b[rows, policy],
        weights=tr.weights[:, rows, policy],
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
) -> tuple[PolicyRows, FloatArray]:
    """The greedy step: (best rows, (T V) at every node); ``v=None`` means V = 0.

    Args:
        problem: the discretised problem.
        v: values at the nodes, or None for zero.
        keep: a current policy (policy iteration): a node keeps its candidate when that is
            exactly as good as the best, so that the iteration does not cycle between ties.
        tie: relative tie tolerance for the candidate order (see :func:`greedy`).
    """
    tr = problem.transitions
    if v is None:
        v = np.zeros(problem.grid.size)
        qv = tr.reward
    else:
        qv = tr.q_values(v)
    policy, best = greedy(qv, tie)
    rows = select(tr, policy)
    if problem.refine:
        rows, best = _refine(problem, qv, v, rows, best)
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


def _refine(
    problem: Problem, qv: FloatArray, v: FloatArray, rows: PolicyRows, best: FloatArray
) -> tuple[PolicyRows, FloatArray]:
    """Golden-section search around the best grid precision; keep it where it beats ``best``."""
    tr, params, q_grid = problem.transitions, problem.params, problem.q_grid
    grid_cols = np.flatnonzero(tr.kind == KIND_GRID)
    j = np.argmax(qv[:, grid_cols], axis=1)
    lo = q_grid[np.maximum(j - 1, 0)]
    hi = q_grid[np.minimum(j + 1, q_grid.size - 1)]
    crit = problem.agent.critical_precision(problem.grid.belief)
    if crit is not None:
        lo = np.maximum(lo, crit)
    active = hi > lo
    node = np.arange(v.size)

    def q_of(q: FloatArray) -> tuple[FloatArray, tuple[FloatArray, IntArray, IntArray, FloatArray]]:
        zero = np.zeros((q.size, 1), dtype=np.int64)
        out = transitions_for(params, problem.grid, problem.grid.belief, node, q[:, None], zero,
                              problem.agent)
        reward, lo_g, lo_b, w = out
        vp = np.append(v, 0.0)
        ev = w[0] * vp[lo_g] + w[1] * vp[lo_g + 1] + w[2] * vp[lo_b] + w[3] * vp[lo_b + 1]
        return (reward + tr.delta * ev)[:, 0], out

    a, c = lo.copy(), np.where(active, hi, lo)
    x1, x2 = c - _GOLDEN * (c - a), a + _GOLDEN * (c - a)
    f1, f2 = q_of(x1)[0], q_of(x2)[0]
    for _ in range(_REFINE_STEPS):
        left = f1 >= f2
        a, c = np.where(left, a, x1), np.where(left, x2, c)
        x1, x2 = np.where(left, c - _GOLDEN * (c - a), x2), np.where(left, x1, a + _GOLDEN * (c - a))
        f_new = q_of(np.where(left, x1, x2))[0]
        f1, f2 = np.where(left, f_new, f2), np.where(left, f1, f_new)
    q_star = np.where(f1 >= f2, x1, x2)
    value, (reward, lo_g, lo_b, w) = q_of(q_star)
    better = active & (value > best)
    refined = PolicyRows(
        q=q_star, side=np.zeros(v.size, dtype=np.int64), kind=np.full(v.size, KIND_REFINED),
        reward=reward[:, 0], lo_g=lo_g[:, 0], lo_b=lo_b[:, 0], weights=w[:, :, 0],
    )
    return merge(better, refined, rows), np.where(better, value, best)
