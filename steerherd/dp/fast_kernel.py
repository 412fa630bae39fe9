r"""The fast solver's kernels: plain numpy (always) or compiled with numba (optional extra).

Both kernels run the same algorithm (:mod:`steerherd.dp.fast`) and compute every Q-value they
evaluate with the full solver's own arithmetic, so they return the same solution: the same
policy, the same certificate and V bit for bit (the tests compare them). They differ in how
much work a sweep does: the numpy kernel bounds and evaluates blocks of pairs in vectorised
passes over chunks of nodes; the numba kernel (:mod:`steerherd.dp.fast_numba`) walks each
node's blocks in decreasing order of their bound and stops as soon as the best Q found beats
the next bound, and it evaluates only the pairs it must.

Which kernel runs (``kernel="auto"``, the default):

* ``numba`` when numba is installed (``pip install steerherd[numba]``) and either numba is
  already imported in this process (a sweep worker: :func:`warm`, called by
  :func:`steerherd.sweep.run.solve_chunk`; a benchmark; a notebook that used it) or the
  problem has at least :data:`LARGE_PAIRS` (belief, precision) pairs;
* ``numpy`` otherwise. In particular the default ``steerherd solve`` (1001 × 201 ≈ 2·10⁵
  pairs) never imports numba, whose import alone costs 0.3–0.6 s.

``kernel="numpy"`` or ``"numba"`` forces one (``"numba"`` without numba installed is a
ParameterError); so does the environment variable ``STEERHERD_KERNEL=numpy|numba`` for
``auto``.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

from steerherd.dp.bellman import TIE_Q, Transitions
from steerherd.dp.fast_bounds import BOUND_SLACK, RANGE_PAD, Setting, table_rows
from steerherd.dp.fast_buffers import active_arrays, search_slot
from steerherd.dp.fast_sweep import Memory, SweepResult, _block_q
from steerherd.dp.policy import PolicyRows
from steerherd.errors import ParameterError
from steerherd.model.costs import LinearCost, PowerCost
from steerherd.model.tolerances import SNAP_TOL
from steerherd.types import FloatArray, IntArray

KERNELS = ("auto", "numpy", "numba")
#: Environment variable that turns ``auto`` into ``numpy`` or ``numba`` (benchmarks, tests).
ENV = "STEERHERD_KERNEL"
#: ``auto`` picks numba (when installed) from this many (belief, precision) pairs on.
LARGE_PAIRS = 400_000
#: Gauss–Seidel sweeps of an approximate policy evaluation before it gives up.
GS_SWEEPS = 400
#: Relative change at which an approximate policy evaluation has converged.
GS_RTOL = 1e-15
#: The compiled search's block widths, coarse to fine (the numpy kernel's are
#: :data:`steerherd.dp.fast_sweep.LEVELS`). It walks one node at a time, so a level between
#: 32 and 8 costs it only the bounds of the blocks it opens: 5 % less time on the hard case
#: at 2,001 × 401 than (128, 32, 8), the others within noise (docs/performance.md).
LEVELS = (128, 32, 16, 8)


def numba_installed() -> bool:
    """Whether numba can be imported (without importing it)."""
    return "numba" in sys.modules or importlib.util.find_spec("numba") is not None


def warm() -> bool:
    """Import the compiled kernels now if numba is installed (a sweep worker's first solve).

    Returns whether they are loaded. From then on ``kernel="auto"`` picks them in this
    process (see :func:`choose`).
    """
    if not numba_installed():
        return False
    _kern()
    return True


def choose(kernel: str, beliefs: int, precisions: int) -> str:
    """The kernel that ``kernel`` ("auto", "numpy" or "numba") means for this problem size."""
    if kernel not in KERNELS:
        raise ParameterError(f"kernel must be one of {list(KERNELS)}, got {kernel!r}")
    if kernel == "numba" and not numba_installed():
        raise ParameterError("kernel='numba' needs numba: pip install 'steerherd[numba]'")
    if kernel == "auto" and os.environ.get(ENV, "auto") in KERNELS[1:]:
        return choose(os.environ[ENV], beliefs, precisions)
    if kernel != "auto":
        return kernel
    if "numba" in sys.modules or (beliefs * precisions >= LARGE_PAIRS and numba_installed()):
        return "numba"
    return "numpy"


@dataclass(frozen=True, eq=False)
class Packed:
    """The arrays the compiled kernels take, built once per problem."""

    grid: tuple[FloatArray, FloatArray, IntArray, IntArray, FloatArray, FloatArray, FloatArray,
                IntArray]
    cost_q: FloatArray
    levels: IntArray
    log2: IntArray
    concave: bool


def pack(setting: Setting, packed_grid: tuple[Any, ...] | None = None) -> Packed:
    """Grid segments, edges and per-precision costs in the compiled kernels' form.

    ``packed_grid``: :func:`grid_arrays` of the setting's grid, if already computed.
    """
    grid = setting.grid
    params = setting.params
    cost_q = np.asarray(params.cost(np.abs(setting.q_grid - params.p)), dtype=np.float64)
    return Packed(grid=grid_arrays(grid) if packed_grid is None else packed_grid,  # type: ignore[arg-type]
                  cost_q=cost_q, levels=np.array(LEVELS, dtype=np.int64),
                  log2=np.concatenate([[0], np.frexp(np.arange(1.0, grid.size + 2))[1] - 1]
                                      ).astype(np.int64),
                  concave=isinstance(params.cost, LinearCost | PowerCost))


def _kern() -> Any:
    from steerherd.dp import fast_numba

    return fast_numba


def _steps() -> Any:
    from steerherd.dp import fast_numba_steps

    return fast_numba_steps


def column(setting: Setting, packed: Packed, j: IntArray, present: np.ndarray) -> Transitions:
    """:func:`steerherd.dp.fast_setting.grid_column`, compiled.

    Present pairs must be followed ones (at or above the node's first informative precision).
    """
    n = setting.grid.size
    node = np.arange(n)
    jj = np.clip(j, 0, setting.q_grid.size - 1)
    reward = np.full(n, -np.inf)
    lo_g, lo_b = node.copy(), node.copy()
    w = np.zeros((4, n))
    at = np.flatnonzero(present)
    if at.size:
        params = setting.params
        r, g, b, ww = _steps().column(setting.grid.belief, at, setting.q_grid[jj[at]],
                                     packed.cost_q[jj[at]], params.C, params.altruistic,
                                     *packed.grid, SNAP_TOL)
        reward[at], lo_g[at], lo_b[at], w[:, at] = r, g, b, ww
    return Transitions(q=setting.q_grid[jj][:, None], side=np.zeros((n, 1), dtype=np.int64),
                       kind=setting.near.kind, reward=reward[:, None], lo_g=lo_g[:, None],
                       lo_b=lo_b[:, None], weights=w[:, :, None], delta=setting.params.delta)


def widen(setting: Setting, packed: Packed, active: Transitions, grid_arg: IntArray,
          add: np.ndarray, reach: int, memory: Memory | None = None) -> Transitions:
    """``active`` followed by :func:`column` at ``grid_arg`` + o for o = −reach..reach.

    Present where ``add`` and followed; one compiled pass, the same arrays as concatenating
    the columns (:func:`steerherd.dp.fast_numba_steps.widen`). ``memory``: the last sweep's,
    whose evaluated pairs are copied instead of computed again.
    """
    params = setting.params
    if memory is not None and memory.compiled is not None:
        mem_int, mem_flt, _, _, mem_start, _ = memory.compiled
    else:
        mem_int, mem_flt = np.zeros((0, 4), np.int32), np.zeros((0, 6))
        mem_start = np.zeros(1, np.int64)
    n, e = active.reward.shape
    out = active_arrays(active.reward, n, e + 2 * reach + 1)  # reused memory: fewer faults
    _steps().widen(
        active.q, active.side, active.reward, active.lo_g, active.lo_b, active.weights,
        setting.grid.belief, grid_arg, add, setting.first_informative, setting.grid_stop, reach,
        setting.q_grid, packed.cost_q, params.C, params.altruistic, *packed.grid, SNAP_TOL,
        mem_start, mem_int, mem_flt, *out)
    q, side, reward, lo_g, lo_b, w = out
    kind = np.concatenate([active.kind, np.repeat(setting.near.kind, 2 * reach + 1)])
    return Transitions(q=q, side=side, kind=kind, reward=reward, lo_g=lo_g, lo_b=lo_b,
                       weights=w, delta=active.delta)


def exact_transitions(params: Any, grid: Any, q: FloatArray, side: IntArray, a_side: IntArray,
                      agent: Any, packed_grid: tuple[Any, ...]
                      ) -> tuple[FloatArray, IntArray, IntArray, FloatArray]:
    """:func:`steerherd.dp.bellman.transitions_for` at every node for columns ``q`` (S, E).

    Compiled: the agent's action probabilities and the costs come from numpy, the rest
    (reward, Bayes step, location on the grid) from :func:`fast_numba_steps.transitions`.
    """
    n, e = q.shape
    b = grid.belief[:, None]
    gg, gb = agent.action_probs(b, q, a_side)
    gg = np.broadcast_to(np.asarray(gg, dtype=np.float64), q.shape)
    gb = np.broadcast_to(np.asarray(gb, dtype=np.float64), q.shape)
    cost = np.broadcast_to(np.asarray(params.cost(np.abs(np.asarray(q, dtype=np.float64)
                                                         - params.p)), dtype=np.float64),
                           q.shape)
    node = np.repeat(np.arange(n), e)
    r, g, h, w = _steps().transitions(grid.belief, node, np.ascontiguousarray(gg).ravel(),
                                     np.ascontiguousarray(gb).ravel(),
                                     np.ascontiguousarray(cost).ravel(),
                                     np.ascontiguousarray(side).ravel(),
                                     np.ascontiguousarray(a_side).ravel(), params.C,
                                     params.altruistic, *packed_grid, SNAP_TOL)
    return r.reshape(n, e), g.reshape(n, e), h.reshape(n, e), w.reshape(4, n, e)


def grid_arrays(grid: Any) -> tuple[Any, ...]:
    """The grid's arrays in the compiled kernels' form (see :func:`pack`)."""
    left, first, last, spacing = grid._segments
    right = np.array([*grid.breakpoints, 1.0])
    edges = np.array([0.0, *grid.breakpoints, 1.0])
    edge_node = np.empty((edges.size, 3), dtype=np.int64)
    for k, x in enumerate(edges):
        for s in (-1, 0, 1):
            edge_node[k, s + 1] = int(grid.node_index(float(x), s))
    return (grid.position, np.asarray(left, dtype=np.float64),
            np.asarray(first, dtype=np.int64), np.asarray(last, dtype=np.int64),
            np.asarray(spacing, dtype=np.float64), right, edges, edge_node)


def q_values(tr: Transitions, v: FloatArray) -> FloatArray:
    """:meth:`Transitions.q_values`, compiled (the same order of operations, the same bits)."""
    out: FloatArray = _steps().q_values(v, tr.delta, tr.reward, tr.lo_g, tr.lo_b, tr.weights)
    return out


def greedy(tr: Transitions, policy: IntArray, v: FloatArray
           ) -> tuple[FloatArray, IntArray, FloatArray]:
    """(Q-values, greedy policy keeping exact ties, T V) over ``tr``, compiled in one pass."""
    out: tuple[FloatArray, IntArray, FloatArray] = _steps().greedy(
        v, tr.delta, tr.reward, tr.lo_g, tr.lo_b, tr.weights, policy)
    return out


def select(tr: Transitions, policy: IntArray) -> PolicyRows:
    """:func:`steerherd.dp.policy.select`, compiled (the same entries, gathered in one pass)."""
    q, side, reward, lo_g, lo_b, w = _steps().select_rows(tr.q, tr.side, tr.reward, tr.lo_g,
                                                          tr.lo_b, tr.weights, policy)
    return PolicyRows(q=q, side=side, kind=tr.kind[policy], reward=reward, lo_g=lo_g,
                      lo_b=lo_b, weights=w)


def evaluate(rows: PolicyRows, delta: float, steps: int | None = None) -> FloatArray | None:
    """:func:`~steerherd.dp.evaluate.evaluate_rows`, or with ``steps`` ``try_evaluate_rows``.

    Compiled (:mod:`steerherd.dp.fast_numba_evaluate`): the same bits, the same sparse LU.
    """
    from steerherd.dp import fast_numba_evaluate

    out: FloatArray | None = fast_numba_evaluate.evaluate_rows(rows, delta, steps)
    return out


def approx_evaluate(rows: PolicyRows, delta: float, v0: FloatArray | None, compiled: bool
                    ) -> FloatArray | None:
    """An approximate V_σ (between policy-iteration steps), or None if it does not converge.

    Compiled: Gauss–Seidel sweeps; numpy: Jacobi sweeps; both with the exact diagonal (the
    self-loops of cascade nodes) and from ``v0`` (or r/(1 − δ)).
    """
    if delta == 0.0:
        return rows.reward.copy()
    start = rows.reward / (1.0 - delta) if v0 is None else v0
    if compiled:
        v, ok = _steps().gauss_seidel(rows.reward, rows.lo_g, rows.lo_b, rows.weights, delta,
                                     start, GS_RTOL, GS_SWEEPS)
        out: FloatArray | None = v if ok else None
        return out
    n = rows.reward.size
    idx = (rows.lo_g, rows.lo_g + 1, rows.lo_b, rows.lo_b + 1)
    node = np.arange(n)
    diag = sum(np.where(i == node, rows.weights[k], 0.0) for k, i in enumerate(idx))
    denom = 1.0 - delta * diag
    v = np.asarray(start, dtype=np.float64)
    for _ in range(GS_SWEEPS):
        vp = np.append(v, 0.0)
        ev = (rows.weights[0] * vp[idx[0]] + rows.weights[1] * vp[idx[1]]
              + rows.weights[2] * vp[idx[2]] + rows.weights[3] * vp[idx[3]])
        new: FloatArray = (rows.reward + delta * (ev - diag * v)) / denom
        change = float(np.abs(new - v).max())
        v = new
        if change <= GS_RTOL * max(1.0, float(np.abs(v).max())):
            return v
    return None


def _row_max(a: FloatArray) -> FloatArray:
    """``a.max(axis=1)``, a column at a time (for a few columns: faster than a row reduction).

    The maximum is exact, so the result is the same either way.
    """
    out: FloatArray = a[:, 0].copy()
    for c in range(1, a.shape[1]):
        np.maximum(out, a[:, c], out=out)
    return out


def sweep(setting: Setting, packed: Packed, v: FloatArray, exact_q: FloatArray,
          floor: FloatArray, memory: Memory | None = None, keep: bool = True) -> SweepResult:
    """:func:`steerherd.dp.fast_sweep.sweep` for a structured agent, compiled.

    ``keep=False``: a sweep expected to be the last writes nothing for the next one, and its
    result carries ``memory`` (the input, still valid for a later sweep) as its memory.
    """
    n = setting.grid.size
    params = setting.params
    steps = _steps()
    exact_best = _row_max(exact_q)
    rows, s_rows = table_rows(n), table_rows(n - 1)
    table, dv_table = np.empty((rows, n)), np.empty((rows, n))
    s_max, s_min = np.empty((s_rows, n - 1)), np.empty((s_rows, n - 1))
    pruned = np.empty(n)
    grid_best, grid_arg, grid_col = np.empty(n), np.empty(n, np.int64), np.empty(n, np.int64)
    if memory is not None and memory.compiled is not None:
        mem_int, mem_flt, blk_int, blk_ub, mem_start, blk_start = memory.compiled
        v_old = memory.v
    else:
        mem_int, mem_flt = np.zeros((0, 4), np.int32), np.zeros((0, 6))
        blk_int, blk_ub = np.zeros((0, 8), np.int32), np.zeros(0)
        mem_start = blk_start = np.zeros(n + 1, np.int64)
        v_old = v
    steps.fill_tables(v, setting.grid.position, v_old, v_old is not v, table, s_max, s_min,
                       dv_table)
    if params.delta == 0.0:
        table = np.zeros((1, 1))
    if v_old is v:
        dv_table = np.zeros((1, n))
    o_start, b_start = np.empty(n + 1, np.int64), np.empty(n + 1, np.int64)
    slot = search_slot(mem_int)
    o_int, o_flt, b_int, b_ub, _, count, n_blk = _kern().search(
        v, setting.grid.belief, setting.first_informative, setting.grid_stop, setting.q_grid,
        packed.cost_q, params.p, params.C, params.altruistic, params.delta, *packed.grid,
        SNAP_TOL, setting.lookup[1], table, packed.log2, RANGE_PAD, BOUND_SLACK, TIE_Q,
        packed.concave, s_max, s_min, packed.levels, floor, exact_best, dv_table,
        mem_start, mem_int, mem_flt, blk_start, blk_int, blk_ub, pruned, grid_best, grid_arg,
        grid_col, *slot, o_start, b_start, keep)
    slot[:] = [o_int, o_flt, b_int, b_ub]  # grown buffers replace the old ones
    near_q = q_values(setting.near, v)[:, 0]  # compiled: the same bits
    ignored = np.flatnonzero((exact_best < near_q) & (near_q >= floor))
    if not keep:
        if ignored.size:  # the edge case below needs this sweep's pairs: sweep keeping them
            return sweep(setting, packed, v, exact_q, floor, memory)
        tv, exact_col = steps.finish(exact_q, exact_best, grid_best, grid_col, TIE_Q)
        return SweepResult(tv=tv, grid_best=grid_best, grid_arg=grid_arg, exact_col=exact_col,
                           grid_col=grid_col, evaluated=count, memory=memory)
    o_int, o_flt, b_int, b_ub = o_int[:count], o_flt[:count], b_int[:n_blk], b_ub[:n_blk]
    out_n, out_j, out_q = o_int[:, 0], o_int[:, 1], o_flt[:, 0]
    evaluated = int(out_n.size)
    for i in ignored:  # the rare float edge case: the ignored grid precisions, in numpy
        js = np.arange(int(setting.first_informative[i]))
        if js.size == 0:
            continue
        qi = _block_q(setting, v, np.array([i]), setting.q_grid[js][None, :])[0]
        evaluated += js.size
        mine = slice(*np.searchsorted(out_n, [i, i + 1]))
        all_j = np.concatenate([js, out_j[mine]])
        all_q = np.concatenate([qi, out_q[mine]])
        top = all_q.max()
        grid_best[i] = top
        grid_arg[i] = all_j[all_q == top].min()
        best = max(exact_best[i], top)
        hit = all_q >= best - TIE_Q * max(1.0, abs(best))
        grid_col[i] = all_j[hit].min() if hit.any() else -1
    tv, exact_col = steps.finish(exact_q, exact_best, grid_best, grid_col, TIE_Q)
    return SweepResult(tv=tv, grid_best=grid_best, grid_arg=grid_arg, exact_col=exact_col,
                       grid_col=grid_col, evaluated=evaluated,
                       memory=Memory(v=v.copy(), pruned=pruned, node=out_n, j=out_j, q=out_q,
                                     compiled=(o_int, o_flt, b_int, b_ub, o_start, b_start)))
