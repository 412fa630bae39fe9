"""The fast solver's setting: the exact candidates' transitions and the agent's structure.

:func:`make_setting` builds what every sweep of :mod:`steerherd.dp.fast` reads: the exact
candidates (p, 1, max(b, 1 − b) and its one-sided limits) at every node with their
transitions, the first grid precision the agent follows at each node, the ignored grid
precision nearest p (the exact bound on all ignored ones; the argument is in
:mod:`steerherd.dp.fast`'s docstring) and the grid's node lookup.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from steerherd.agents import AgentModel
from steerherd.dp.bellman import (
    KIND_FULL,
    KIND_GRID,
    Transitions,
    agent_side,
    candidate_precisions,
    transitions_for,
)
from steerherd.dp.fast_bounds import (
    Setting,
    check_structure,
    first_informative,
    has_structure,
    node_lookup,
)
from steerherd.dp.fast_kernel import exact_transitions, grid_arrays
from steerherd.dp.grid import BeliefGrid
from steerherd.model import Params
from steerherd.types import FloatArray, IntArray

#: Rows per block when the exact candidates' transitions are built.
_ROWS = 2048


def make_setting(params: Params, grid: BeliefGrid, q_grid: FloatArray, agent: AgentModel,
                 compiled: bool = False, packed_grid: tuple[Any, ...] | None = None
                 ) -> Setting:
    """Exact candidates' transitions, the agent's structure and the nearest ignored precision.

    ``compiled``: build the transitions with the numba kernel
    (:func:`steerherd.dp.fast_kernel.exact_transitions`, the same values bit for bit).
    """
    q, side, kind, feasible = candidate_precisions(params, grid.belief, q_grid[:0], agent)
    node = np.arange(grid.size)
    a_side = agent_side(kind[None, :], side)  # the crossing limits' side is not the agent's
    if not compiled:
        packed_grid = None
    elif packed_grid is None:
        packed_grid = grid_arrays(grid)
    crit = agent.critical_precision(grid.belief) if has_structure(agent) else None
    j0 = np.zeros(grid.size, dtype=np.int64)
    structured = False
    if crit is not None:
        j0 = first_informative(q_grid, np.asarray(crit, dtype=np.float64))
        structured = check_structure(agent, grid.belief, q_grid, j0)
        if not structured:
            j0 = np.zeros(grid.size, dtype=np.int64)
    # The ignored grid precision nearest p (an exact bound on all ignored ones).
    k = np.searchsorted(q_grid, params.p)
    below = np.clip(np.minimum(k - 1, j0 - 1), 0, q_grid.size - 1)
    above = np.clip(np.minimum(k, j0 - 1), 0, q_grid.size - 1)
    nearest = np.where(np.abs(q_grid[above] - params.p) < np.abs(q_grid[below] - params.p),
                       above, below)
    if packed_grid is not None:
        # the exact candidates and the nearest ignored precision in one compiled pass
        e = q.shape[1]
        q_near = q_grid[nearest][:, None]
        zero = np.zeros((grid.size, 1), dtype=np.int64)
        reward, lo_g, lo_b, w = exact_transitions(
            params, grid, np.hstack([q, q_near]), np.hstack([side, zero]),
            np.hstack([a_side, zero]), agent, packed_grid)
        r_near = reward[:, e:].copy()
        r_near[j0 <= 0, 0] = -np.inf
        near = Transitions(q=q_near, side=zero, kind=np.array([KIND_GRID]), reward=r_near,
                           lo_g=lo_g[:, e:].copy(), lo_b=lo_b[:, e:].copy(),
                           weights=w[:, :, e:].copy(), delta=params.delta)
        reward, lo_g, lo_b = reward[:, :e].copy(), lo_g[:, :e].copy(), lo_b[:, :e].copy()
        w = w[:, :, :e].copy()
    else:
        reward = np.empty(q.shape)
        lo_g, lo_b = np.empty(q.shape, np.int64), np.empty(q.shape, np.int64)
        w = np.empty((4, *q.shape))
        for start in range(0, grid.size, _ROWS):  # in row blocks: small temporaries
            rows = slice(start, start + _ROWS)
            reward[rows], lo_g[rows], lo_b[rows], w[:, rows] = transitions_for(
                params, grid, grid.belief[rows], node[rows], q[rows], side[rows], agent,
                a_side[rows])
        near = grid_column(q_grid, params, grid, agent, nearest, j0 > 0)
    reward[~feasible] = -np.inf
    exact = Transitions(q=q, side=side, kind=kind, reward=reward, lo_g=lo_g, lo_b=lo_b,
                        weights=w, delta=params.delta)
    return Setting(params=params, grid=grid, q_grid=q_grid, agent=agent, exact=exact,
                   structured=structured, first_informative=j0, near=near,
                   lookup=node_lookup(grid), grid_stop=grid_stop(q_grid, exact))


def grid_stop(q_grid: FloatArray, exact: Transitions) -> int:
    """q_grid.size − 1 when the last grid precision duplicates the exact candidate 1."""
    col = int(np.flatnonzero(exact.kind == KIND_FULL)[0])
    same = (q_grid[-1] == 1.0 and bool(np.all(exact.q[:, col] == 1.0))
            and bool(np.all(exact.side[:, col] == 0))
            and bool(np.all(np.isfinite(exact.reward[:, col]))))
    return q_grid.size - 1 if same else q_grid.size


def grid_column(q_grid: FloatArray, params: Params, grid: BeliefGrid, agent: AgentModel,
            j: IntArray, present: np.ndarray) -> Transitions:
    """One grid-precision column at every node (reward −inf where not ``present``)."""
    node = np.arange(grid.size)
    q = q_grid[np.clip(j, 0, q_grid.size - 1)][:, None]
    side = np.zeros(q.shape, dtype=np.int64)
    reward, lo_g, lo_b, w = transitions_for(params, grid, grid.belief, node, q, side, agent)
    reward[~present, 0] = -np.inf
    return Transitions(q=q, side=side, kind=np.array([KIND_GRID]), reward=reward, lo_g=lo_g,
                       lo_b=lo_b, weights=w, delta=params.delta)
