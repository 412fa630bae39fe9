"""QuantEcon's input for the planner's problem, built the way a QuantEcon user would write it.

Plain vectorised numpy from the model's formulas (MODEL.md §1-2), independent of steerherd's
transition code: every (belief node, candidate precision) pair becomes a state-action pair
with its reward and a sparse row of successor probabilities. The belief nodes (with the
three nodes x-, x, x+ at each breakpoint) and the precision grid are the problem's data and
are taken as given; the candidates are those of the discretised problem (p, 1, m = max(b,
1 - b) and its one-sided limits m-, m+, and the grid), so that both sides solve one MDP and
their values can be compared.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

TOL = 1e-12  # a tie q = max(b, 1 - b) off by an ulp is still a tie


def quantecon_input(
    planner: str,
    p: float,
    C: float,
    cost: Callable[[np.ndarray], np.ndarray],
    position: np.ndarray,
    side: np.ndarray,
    q_grid: np.ndarray,
    eta: float = 1e-9,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, sp.csr_matrix]:
    """``(s_indices, a_indices, R, Q)`` for ``quantecon.markov.DiscreteDP``.

    Args:
        planner: "altruistic" or "biased".
        p, C: baseline precision and the loss of a wrong action.
        cost: beta, applied to |q - p|.
        position, side: the belief nodes (sorted) and their side at a breakpoint (-1, 0, +1).
        q_grid: the precision grid.
        eta: a one-sided node x+- is evaluated at x +- eta.
    """
    n = position.size
    node_b = np.clip(position + eta * side, 0.0, 1.0)
    node_m = np.maximum(node_b, 1.0 - node_b)
    q_min = p if planner == "altruistic" else 0.5
    n_a = 5 + q_grid.size
    q2 = np.empty((n, n_a))
    q2[:, 0], q2[:, 1], q2[:, 2:5] = p, 1.0, node_m[:, None]
    q2[:, 5:] = q_grid
    ok = (q2 >= q_min - TOL) & (q2 <= 1.0 + TOL)
    ok[:, 3] &= node_m > q_min + TOL  # m- (limit from below)
    ok[:, 4] &= node_m < 1.0 - TOL  # m+ (limit from above)
    s_idx, a_idx = np.nonzero(ok)
    # From here on, one entry per state-action pair.
    q = q2[s_idx, a_idx]
    b = node_b[s_idx]
    lim = np.where(a_idx == 3, -1, np.where(a_idx == 4, 1, 0))
    follows = np.where(lim < 0, False, np.where(lim > 0, True, q >= node_m[s_idx] - TOL))
    herd = (b > 0.5).astype(float)
    good_g = np.where(follows, q, herd)  # P(a = G | omega = G)
    good_b = np.where(follows, 1.0 - q, herd)  # P(a = G | omega = B)
    loss = b * (1.0 - good_g) + (1.0 - b) * (good_b if planner == "altruistic" else 1 - good_b)
    reward = -cost(np.abs(q - p)) - C * loss
    pg = b * good_g + (1.0 - b) * good_b
    moves = (good_g != good_b) | (lim > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        up = np.where(moves & (pg > 0), b * good_g / pg, b)
        down = np.where(moves & (pg < 1), b * (1.0 - good_g) / (1.0 - pg), b)
    cols = np.empty((s_idx.size, 4), dtype=np.int64)
    vals = np.empty((s_idx.size, 4))
    for j, (y, prob, sd) in enumerate(((up, pg, lim), (down, 1.0 - pg, -lim))):
        lo, w_hi = _interpolate(position, y, sd)
        lo = np.where(moves, lo, s_idx)
        w_hi = np.where(moves, w_hi, 0.0)
        cols[:, 2 * j], cols[:, 2 * j + 1] = lo, np.minimum(lo + 1, n - 1)
        vals[:, 2 * j], vals[:, 2 * j + 1] = prob * (1.0 - w_hi), prob * w_hi
    # Four entries a row, in row order: CSR directly (duplicates summed, zeros dropped).
    mat = sp.csr_matrix((vals.reshape(-1), cols.reshape(-1), np.arange(0, 4 * s_idx.size + 1, 4)),
                        shape=(s_idx.size, n))
    mat.sum_duplicates()
    mat.eliminate_zeros()
    return s_idx, a_idx, reward, mat


def _interpolate(position: np.ndarray, y: np.ndarray, sd: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Lower node and weight of the upper node for beliefs y; a y on a node (within TOL)
    takes that node, and on a breakpoint (three nodes x-, x, x+) the node of its side (the
    limit's side for a one-sided candidate)."""
    n = position.size
    lo = np.clip(np.searchsorted(position, y, side="right") - 1, 0, n - 2)
    gap = position[lo + 1] - position[lo]
    w = np.clip((y - position[lo]) / np.where(gap > 0, gap, 1.0), 0.0, 1.0)
    near_hi = np.abs(position[lo + 1] - y) <= TOL
    near_lo = ~near_hi & (np.abs(y - position[lo]) <= TOL)
    back = (lo >= 2) & (position[np.maximum(lo - 2, 0)] == position[lo])
    first = np.where(near_hi, lo + 1, lo - 2 * back)
    triple = position[np.minimum(first + 2, n - 1)] == position[first]
    triple &= (first + 2 < n) & (first > 0)
    node = np.where(triple, first + 1 + sd, first)
    on = near_hi | near_lo
    return np.where(on, node, lo), np.where(on, 0.0, w)
