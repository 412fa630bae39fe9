r"""JAX backend: the Bellman operator of :mod:`steerherd.dp.bellman`, jitted and vmapped.

The same discretisation as the numpy reference, term for term: the candidates p, 1,
m = max(b, 1 − b), m⁻ and m⁺ followed by the precision grid, their feasibility, the
one-sided successor sides, the snapping of successors to breakpoints, the interpolation
within a segment, and the greedy step with ties (within ``TIE_Q``) broken by candidate
order. The transitions are built inside ``jit`` from (p, q_min, k, α, C, δ, planner) and
the belief grid, and the whole solve is ``vmap``-ped over a batch of parameters: grids in
one batch share their node count (see :func:`~steerherd.dp.grid.make_belief_grid`), only
the node positions differ.

Drivers: value iteration (``vi``) and modified policy iteration (``mpi``) in
``lax.while_loop``, stopped by the MacQueen–Porteus bounds exactly as the numpy drivers are
(the value returned is the midpoint of the bounds). Policy iteration is not offered here
(a sparse LU per step does not vmap); ``pi`` is mapped to ``mpi``. A jitted loop cannot
raise, so it returns ``converged`` and the gap, and the Python wrapper raises
:class:`~steerherd.errors.ConvergenceError`.

JAX is imported only in this module and only when a function here is called; everything
runs under ``jax.enable_x64(True)`` (a context, so the global JAX configuration is left
alone).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from functools import cache
from typing import Any, NamedTuple

import numpy as np

from steerherd.agents import Bayesian
from steerherd.dp.bellman import KIND_ABOVE, KIND_BELOW, KIND_GRID, N_EXACT, TIE_Q
from steerherd.dp.certificate import Certificate, SolverOptions
from steerherd.dp.grid import SNAP_TOL, BeliefGrid, make_belief_grid, make_precision_grid
from steerherd.dp.kernel import expected_value
from steerherd.errors import ConvergenceError, ParameterError
from steerherd.model import TIE_TOL, Params, bayes_action_probs, successors
from steerherd.model.costs import LinearCost, PowerCost

JAX_METHODS = ("vi", "mpi", "pi")


class ProblemArrays(NamedTuple):
    """The parameters that enter the jitted transitions, one array entry per problem.

    A NamedTuple is a JAX pytree, so a batch is vmapped field by field and each field is
    read by name inside ``jit`` (never by position in a flat vector).
    """

    p: Any
    q_min: Any
    k: Any
    alpha: Any
    C: Any
    biased: Any

    @classmethod
    def stack(cls, params: Sequence[Params]) -> ProblemArrays:
        """One entry per problem, float64 (``biased`` is 1.0 for the biased planner)."""
        shapes = [cost_shape(pr) for pr in params]
        return cls(p=np.array([pr.p for pr in params]),
                   q_min=np.array([pr.q_min for pr in params]),
                   k=np.array([k for k, _ in shapes]), alpha=np.array([a for _, a in shapes]),
                   C=np.array([pr.C for pr in params]),
                   biased=np.array([float(not pr.altruistic) for pr in params]))
#: Default memory for one vmapped chunk of transitions (bytes); chunks are sized to fit.
CHUNK_BYTES = 1 << 30
#: What the automatic number of partial-evaluation steps aims for: δ^steps ≤ this.
STEPS_CONTRACTION = 1e-6


def auto_mpi_steps(delta: float, precisions: int) -> int:
    """Partial-evaluation steps per MPI iteration when the caller gives no ``options``.

    A step gathers one candidate per node, a greedy step all ``precisions + N_EXACT`` of
    them, so steps are cheap: take enough to contract the evaluation error to
    ``STEPS_CONTRACTION`` (δ^steps), at least 20 (the numpy default) and at most the cost of
    two greedy steps, 2·(precisions + N_EXACT). A fixed 20 made δ near 1 take many greedy
    steps (132 at δ = 0.99) and the JAX default slower than numpy.
    """
    cap = 2 * (precisions + N_EXACT)
    if not 0.0 < delta < 1.0:
        return 20
    return int(min(cap, max(20, np.ceil(np.log(STEPS_CONTRACTION) / np.log(delta)))))


def _import_jax() -> Any:
    try:
        import jax
    except ImportError:  # pragma: no cover - depends on the install
        raise ImportError("the JAX backend needs JAX: install steerherd[jax]") from None
    return jax


def cost_shape(params: Params) -> tuple[float, float]:
    """(k, α) of a linear (α = 1) or power cost.

    Raises:
        ParameterError: for a cost the JAX backend cannot trace (a user callable).
    """
    if isinstance(params.cost, LinearCost):
        return float(params.cost.k), 1.0
    if isinstance(params.cost, PowerCost):
        return float(params.cost.k), float(params.cost.alpha)
    raise ParameterError(
        f"the jax backend supports the linear and power costs, got {params.cost.to_dict()!r};"
        " use backend='numpy'"
    )


def _check(params: Params) -> None:
    if params.horizon is not None:
        raise ParameterError(
            f"the jax backend solves infinite-horizon problems, got horizon={params.horizon};"
            " use backend='numpy'"
        )
    cost_shape(params)


# Cached on (n_bps, span): both are unrolled into Python loops at trace time (one snap
# target per breakpoint, one gather per bucket node), so each distinct pair is its own XLA
# program; every other input is a traced array and reuses the compiled one.
@cache
def _compiled(n_bps: int, span: int) -> Any:
    """The batched solver for grids with ``n_bps`` breakpoints (jitted once per shape).

    ``span`` is the most nodes in two buckets of the search table (see :func:`_buckets`).
    """
    jax = _import_jax()
    jnp = jax.numpy
    lax = jax.lax

    def transitions(pos, table, belief, first, bpx, q_grid, par):  # type: ignore[no-untyped-def]
        p, q_min, k, alpha = par.p, par.q_min, par.k, par.alpha
        n = belief.shape[0]
        b = belief[:, None]
        m = jnp.maximum(belief, 1.0 - belief)
        # m three times: m itself and its one-sided limits m⁻, m⁺ (a supremum the planner
        # may want but cannot attain); they differ only through ``side`` below.
        exact = jnp.stack([jnp.full(n, p), jnp.ones(n), m, m, m], axis=1)
        q = jnp.concatenate([exact, jnp.broadcast_to(q_grid, (n, q_grid.shape[0]))], axis=1)
        col = jnp.arange(q.shape[1])
        side = jnp.where(col == KIND_BELOW, -1, jnp.where(col == KIND_ABOVE, 1, 0))[None, :]
        feasible = (q >= q_min - TIE_TOL) & (q <= 1.0 + TIE_TOL)
        feasible &= jnp.where(col == KIND_BELOW, (m > q_min + TIE_TOL)[:, None], True)
        feasible &= jnp.where(col == KIND_ABOVE, (m < 1.0 - TIE_TOL)[:, None], True)
        # Bayesian agents: the one action rule of steerherd.model, traced with jax.numpy.
        gg, gb = bayes_action_probs(b, q, side, xp=jnp)
        # β on the 5 exact columns per node and once on the precision grid (a power is dear).
        def beta(x):  # type: ignore[no-untyped-def]
            dist = jnp.abs(x - p)
            return jnp.where(alpha == 1.0, k * dist, k * jnp.power(dist, alpha))

        cost = jnp.concatenate(
            [beta(exact), jnp.broadcast_to(beta(q_grid), (n, q_grid.shape[0]))], axis=1)
        loss = jnp.where(par.biased > 0, b * (1.0 - gg) + (1.0 - b) * (1.0 - gb),
                         b * (1.0 - gg) + (1.0 - b) * gb)
        # −inf, not a mask: argmax and max then skip infeasible pairs with fixed shapes.
        reward = jnp.where(feasible, -cost - par.C * loss, -jnp.inf)
        p_good, succ_g, succ_b, moves = successors(b, gg, gb, side, xp=jnp)
        lo_g, lam_g = locate(pos, table, first, bpx, succ_g, side)
        lo_b, lam_b = locate(pos, table, first, bpx, succ_b, -side)
        # An uninformative action leaves b where it is: pin it to its own node (as the numpy
        # kernel does); re-locating b would move a one-sided node x⁻ or x⁺ onto x, whose
        # position it shares.
        self_node = jnp.broadcast_to(jnp.arange(n, dtype=jnp.int32)[:, None], q.shape)
        lo_g = jnp.where(moves, lo_g, self_node)
        lo_b = jnp.where(moves, lo_b, self_node)
        lam_g = jnp.where(moves, lam_g, 0.0)
        lam_b = jnp.where(moves, lam_b, 0.0)
        w = jnp.stack([p_good * (1 - lam_g), p_good * lam_g,
                       (1 - p_good) * (1 - lam_b), (1 - p_good) * lam_b])
        return q, reward, lo_g, lo_b, w

    def locate(pos, table, first, bpx, y, side):  # type: ignore[no-untyped-def]
        """BeliefGrid.locate: segment interpolation, then snapping onto breakpoint nodes."""
        size = pos.shape[0]
        # The ±ETA of one-sided successors can step just outside [0, 1].
        y = jnp.clip(y, 0.0, 1.0)
        lo = jnp.clip(bucket_search(jnp, pos, table, y, span), 0, size - 1)
        hi = jnp.minimum(lo + 1, size - 1)
        gap = pos[hi] - pos[lo]
        # Breakpoint nodes x⁻, x, x⁺ share one position: a zero gap. jnp.where evaluates
        # both branches, so the inner where keeps the untaken one free of 0/0.
        lam = jnp.where(gap > 0, (y - pos[lo]) / jnp.where(gap > 0, gap, 1.0), 0.0)
        targets = [(0.0, jnp.zeros_like(lo))]
        # At a breakpoint x the successor's side picks x⁻, x or x⁺ (first[j] is x⁻'s index).
        targets += [(bpx[j], first[j] + 1 + side.astype(jnp.int32)) for j in range(n_bps)]
        targets += [(1.0, jnp.full_like(lo, size - 1))]
        for x, idx in targets:
            on = jnp.abs(y - x) <= SNAP_TOL
            lo = jnp.where(on, idx, lo)
            lam = jnp.where(on, 0.0, lam)
        return lo, jnp.clip(lam, 0.0, 1.0)

    def greedy(qv):  # type: ignore[no-untyped-def]
        best = qv.max(axis=1)
        tol = TIE_Q * jnp.maximum(1.0, jnp.abs(best))
        # argmax of a boolean is the first True: the first candidate within the tie
        # tolerance wins, so the exact candidates (p, 1, m, …) beat grid points that only
        # round above them, as bellman.greedy does for reported policies.
        return jnp.argmax(qv >= (best - tol)[:, None], axis=1), best

    def solve_one(pos, table, belief, first, bpx, q_grid, par, delta, eps, max_iter, mpi_steps):  # type: ignore[no-untyped-def]
        q, reward, lo_g, lo_b, w = transitions(pos, table, belief, first, bpx, q_grid, par)
        # MacQueen–Porteus: V* lies in [TV + c·min(TV − V), TV + c·max(TV − V)].
        c = jnp.where(delta > 0, delta / (1.0 - delta), 0.0)

        def bellman(v):  # type: ignore[no-untyped-def]
            qv = jnp.where(delta == 0, reward,
                           reward + delta * expected_value(v, lo_g, lo_b, w, xp=jnp))
            pol, best = greedy(qv)
            d = best - v
            return pol, best, c * d.min(), c * d.max(), jnp.abs(d).max(), jnp.argmax(qv, axis=1)

        def body(state):  # type: ignore[no-untyped-def]
            v, it, _ = state
            # The partial evaluation follows an exact maximiser, not the tie-broken choice:
            # a choice up to TIE_Q below the best would bias V by TIE_Q/(1 − δ) and keep the
            # bound gap above a small epsilon (see docs/performance.md).
            _, tv, lo, hi, _, pol = bellman(v)
            gap = hi - lo
            rows = jnp.arange(v.shape[0])
            r_s, g_s, b_s = reward[rows, pol], lo_g[rows, pol], lo_b[rows, pol]
            w_s = w[:, rows, pol]

            def step(_, u):  # type: ignore[no-untyped-def]
                return r_s + delta * expected_value(u, g_s, b_s, w_s, xp=jnp)

            partial = lax.fori_loop(0, mpi_steps, step, tv)
            # Converged: return the midpoint of the bounds (within gap/2 of V*), as numpy does.
            return jnp.where(gap < eps, tv + 0.5 * (lo + hi), partial), it + 1, gap

        def cond(state):  # type: ignore[no-untyped-def]
            _, it, gap = state
            return (gap >= eps) & (it < max_iter)

        v0 = jnp.zeros(belief.shape[0])
        v, it, gap_loop = lax.while_loop(cond, body, (v0, jnp.asarray(0), jnp.asarray(jnp.inf)))
        pol, tv, lo, hi, resid, _ = bellman(v)
        rows = jnp.arange(v.shape[0])
        return {"V": v, "q": q[rows, pol], "choice": pol, "lower": tv + lo, "upper": tv + hi,
                "gap": hi - lo, "residual": resid, "iterations": it, "loop_gap": gap_loop}

    # The stopping rule (eps, max_iter, mpi_steps) is shared by the batch, not mapped.
    batched = jax.vmap(solve_one, in_axes=(0, 0, 0, 0, 0, 0, 0, 0, None, None, None))
    return jax.jit(batched)


def bucket_search(jnp: Any, pos: Any, table: Any, y: Any, span: int) -> Any:
    """searchsorted(pos, y, 'right') − 1, exactly, from the table of :func:`_buckets`."""
    n_buckets = table.shape[0] - 3
    # One bucket early: y·K may round up past a bucket edge; starting below is always safe.
    k = jnp.clip(jnp.floor(y * n_buckets).astype(jnp.int32) - 1, 0, n_buckets)
    start = table[k]
    last = pos.shape[0] - 1
    lo = start
    # A fixed count of gathers (``span``, static) instead of a data-dependent loop: XLA
    # unrolls it and vmap needs no per-element control flow.
    for j in range(1, span + 1):
        lo = lo + (pos[jnp.minimum(start + j, last)] <= y) * (start + j <= last)
    return lo


def _layout(params: Params, beliefs: int, precisions: int) -> tuple[BeliefGrid, np.ndarray]:
    grid = make_belief_grid(beliefs, Bayesian().breakpoints(params))
    return grid, make_precision_grid(params.q_min, precisions)


def _buckets(position: np.ndarray) -> np.ndarray:
    """table[k] = searchsorted(position, k/K, 'right') − 1 for K = 2·nodes buckets of [0, 1].

    Indices are int32 throughout: XLA's CPU gathers are about 3× faster with them.
    ``jnp.searchsorted`` is a binary search of log2(S) dependent gathers, slow on CPU; with
    the table, the search for y starts at bucket floor(yK) − 1 (at or below y whatever the
    rounding) and counts the few nodes of the next two buckets that lie at or below y: the
    same index as a binary search, in a fixed number of gathers.
    """
    n_buckets = 2 * position.size
    edges = np.arange(n_buckets + 3) / n_buckets
    return np.searchsorted(position, edges, side="right").astype(np.int32) - 1


def _span(tables: np.ndarray) -> int:
    return int((tables[:, 2:] - tables[:, :-2]).max())


def _inputs(group: list[tuple[Params, BeliefGrid, np.ndarray]]) -> list[Any]:
    pos = np.stack([g.position for _, g, _ in group])
    table = np.stack([_buckets(g.position) for _, g, _ in group])
    bel = np.stack([g.belief for _, g, _ in group])
    first = np.stack([np.array([int(g.node_index(x, -1)) for x in g.breakpoints], dtype=np.int32)
                      .reshape(-1) for _, g, _ in group])
    bpx = np.stack([np.array(g.breakpoints, dtype=np.float64).reshape(-1) for _, g, _ in group])
    qg = np.stack([q for _, _, q in group])
    par = ProblemArrays.stack([pr for pr, _, _ in group])
    delta = np.array([pr.delta for pr, _, _ in group])
    return [pos, table, bel, first, bpx, qg, par, delta]


def solve_batch(
    params_list: Sequence[Params],
    *,
    beliefs: int = 1001,
    precisions: int = 201,
    method: str = "mpi",
    options: SolverOptions | None = None,
    chunk: int | None = None,
    auto_steps: bool | None = None,
) -> list[dict[str, Any]]:
    """Solve many problems at once with the vmapped JAX solver (float64).

    Args:
        params_list: the problems (infinite horizon; linear or power cost; Bayesian agents).
        beliefs: belief grid size (the same for every problem).
        precisions: precision grid size.
        method: ``mpi`` (default; ``pi`` means ``mpi`` here) or ``vi``.
        options: stopping rule (epsilon, max_iter, mpi_steps).
        chunk: problems per vmapped call; default: as many as fit in ``CHUNK_BYTES``.
        auto_steps: choose the MPI's partial steps per chunk by :func:`auto_mpi_steps` (for
            the chunk's largest δ) instead of ``options.mpi_steps``; default: only when
            ``options`` is None.

    Returns:
        The fields of one :class:`~steerherd.solution.Solution` per problem (``Solution(**f)``;
        :func:`steerherd.solve_batch` wraps them), in order; ``seconds`` is the
        problem's share of its chunk's wall time.

    Raises:
        ParameterError: for an unknown method or an unsupported problem.
        ConvergenceError: if any problem reaches ``max_iter`` before its bound gap < epsilon.
    """
    if method not in JAX_METHODS:
        raise ParameterError(f"method must be one of {list(JAX_METHODS)}, got {method!r}")
    auto = options is None if auto_steps is None else auto_steps
    options = SolverOptions() if options is None else options
    method = "vi" if method == "vi" else "mpi"
    for pr in params_list:
        _check(pr)
    laid = [(pr, *_layout(pr, beliefs, precisions)) for pr in params_list]
    groups: dict[tuple[int, int], list[int]] = {}
    for i, (_, g, _) in enumerate(laid):
        groups.setdefault((g.size, len(g.breakpoints)), []).append(i)
    out: list[dict[str, Any] | None] = [None] * len(laid)
    for (size, n_bps), idx in groups.items():
        idx = sorted(idx, key=lambda i: laid[i][0].delta)  # a chunk waits for its slowest
        # The estimate counts q, reward, 2 indices, 4 weights and Q (72 bytes a pair); the
        # measured resident memory is ~120 bytes a pair (~25 MB a 1001 x 206 problem) on top
        # of ~450 MB for JAX and the compiled loop (docs/performance.md). Sizing by the
        # measured figure split the sweeps' chunks of 50-64 in two padded calls (2x slower).
        per = size * (precisions + N_EXACT) * 8 * 9
        step = chunk or max(1, CHUNK_BYTES // per)
        for s in range(0, len(idx), step):
            part = idx[s:s + step]
            # Pad a short last chunk with copies so that every call has one shape (no
            # recompilation); the copies' results are dropped.
            pad = part + [part[-1]] * (min(step, len(idx)) - len(part))
            steps = (0 if method == "vi" else
                     auto_mpi_steps(laid[part[-1]][0].delta, precisions) if auto else
                     options.mpi_steps)
            sols = _run([laid[i] for i in pad], n_bps, steps, method, options)
            for i, sol in zip(part, sols, strict=False):
                out[i] = sol
    return [sol for sol in out if sol is not None]


def _run(group: list[tuple[Params, BeliefGrid, np.ndarray]], n_bps: int, steps: int,
         method: str, options: SolverOptions) -> list[dict[str, Any]]:
    jax = _import_jax()
    start = time.perf_counter()
    with jax.enable_x64(True):
        args = _inputs(group)
        fn = _compiled(n_bps, _span(args[1]))
        res = fn(*args, options.epsilon, options.max_iter, steps)
        res = {k: np.asarray(v) for k, v in res.items()}
    share = (time.perf_counter() - start) / len(group)
    sols = []
    for j, (params, grid, q_grid) in enumerate(group):
        gap = float(res["gap"][j])
        # δ = 0: one Bellman step is exact (no future), and the bound factor c is 0.
        converged = gap < options.epsilon or params.delta == 0.0
        if not converged:
            raise ConvergenceError(
                f"jax {method} stopped at max_iter={options.max_iter} with bound gap {gap:.2e}"
                f" > epsilon={options.epsilon:.0e} for {params.to_dict()}"
            )
        choice = res["choice"][j].astype(np.int64)
        kind = np.where(choice < N_EXACT, choice, KIND_GRID).astype(np.int64)
        cert = Certificate(
            converged=True, method=f"jax-{method}", iterations=int(res["iterations"][j]),
            bellman_residual=float(res["residual"][j]), lower=res["lower"][j],
            upper=res["upper"][j], gap=gap, epsilon=options.epsilon,
        )
        sols.append(dict(
            params=params, grid=grid, V=res["V"][j], q=res["q"][j], kind=kind,
            certificate=cert, agent=Bayesian().to_dict(), n_precisions=int(q_grid.size),
            refine=False, seconds=share,
        ))
    return sols


def solve_jax(params: Params, *, beliefs: int = 1001, precisions: int = 201,
              method: str = "mpi", options: SolverOptions | None = None) -> dict[str, Any]:
    """One problem through :func:`solve_batch` (see there)."""
    return solve_batch([params], beliefs=beliefs, precisions=precisions, method=method,
                       options=options)[0]
