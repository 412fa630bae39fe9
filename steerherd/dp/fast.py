r"""The fast solver: candidate-set policy iteration with a certifying sweep (``method="fast"``).

It solves *the same discretised problem* as :func:`steerherd.dp.solve.solve_problem`: the
same belief grid, the same candidates at every node (p, 1, m, m⁻, m⁺ and every grid
precision), the same MacQueen–Porteus certificate over the full candidate set, and the same
reported policy (the first candidate in candidate order within ``TIE_Q`` of the best). It
never stores a nodes × candidates array.

Algorithm
---------
1. Policy iteration over the *active* candidates: the exact ones (p, 1, m, m⁻, m⁺) plus the
   grid precisions added so far (none at first), until the policy is stable on the active
   set (or its MacQueen–Porteus gap is below ε).
2. A certifying sweep (:func:`steerherd.dp.fast_sweep.sweep`) computes T V over the *full*
   candidate set at that V, skipping only grid precisions that provably cannot be the
   maximum nor the reported choice. At every node where a grid precision is strictly better
   than every active candidate, the best one is added (with its grid neighbours), and step 1
   resumes from the current policy. When no node changes, T V over the full set equals T V
   over the active set, so the active gap is the full problem's gap: the certificate is the
   full solver's.

Policies are evaluated approximately in step 1 (Gauss–Seidel or Jacobi sweeps with the exact
diagonal, to a relative change of 1e-15, :func:`steerherd.dp.fast_kernel.approx_evaluate`),
because they are only stepping stones. When the loop would stop, the policy is evaluated by
:func:`steerherd.dp.evaluate.evaluate_rows` (as the full solver's policy is; the compiled
kernel runs :mod:`steerherd.dp.fast_numba_evaluate`, the same bits), the greedy step
and the sweep are repeated at that V, and every later step evaluates the same way: the V
returned and the certificate are those of an evaluation with a stated error bound. Before
the first sweep (if that evaluation takes at most ``CHEAP_STEPS`` contraction steps) and
when the previous sweep added grid precisions at few nodes (:func:`_few`), the stable policy
is evaluated exactly *before* the sweep, which then often certifies it at once (one sweep
instead of two); after a sweep that adds columns, evaluations are approximate again until
the policy is stable.

A sweep reuses what the previous one found (same problem, new V): between sweeps each Q
moves by at most δ times the largest increase of V over the nodes its successors use. The
numpy kernel shifts its old per-node bounds by δ·max(0, max ΔV) and does not search again a
node whose shifted bounds stay below its new floor (its old near-best pairs are
re-evaluated); the compiled kernel keeps every pruned block with its successors' node
ranges and every evaluated pair with its transition (:mod:`steerherd.dp.fast_numba`).
The two kernels return the same solution (:mod:`steerherd.dp.fast_kernel`).

If the policy no longer changes, no grid precision is better and the gap is still above ε,
the gap is the rounding of the policy evaluation (δ/(1 − δ) multiplies it: 999 at
δ = 0.999); V is then refined for that policy (two steps of iterative refinement) and
certified, or a ConvergenceError says so at once.

Each round adds (node, precision) pairs that were not active (an active pair's Q is part of
the active maximum, so it cannot be strictly better than it), so the rounds end.

Why the skipped grid precisions are safe
----------------------------------------
Let m*(b) be the agent's switching precision: ``max(b, 1 − b)`` for the Bayesian agent,
``expit(w_prior·|logit b| / w_disagree)`` for the deterministic behavioural agent.

*Below m*(b) (exact domination).* At a grid precision q < m*(b) − TIE_TOL the agent ignores
its signal and takes the cascade action (G iff b > 1/2) whatever q is. Its loss is then the
same for every such q, its successor is b itself (E[V(b')] = V(b)), and only the cost
β(|q − p|) differs, non-decreasing in |q − p|. So Q(b, q) ≤ Q(b, q̂), q̂ the ignored grid
precision nearest p, which the sweep evaluates. If an exact candidate has Q ≥ Q(b, q̂) (on
paper always: if p < m* then p is itself ignored and costs nothing; if p ≥ m* the limit m⁻
is ignored and costs β(p − m*) ≤ β(p − q)), then no ignored grid precision can exceed the
maximum, and none can be the reported choice, because an exact candidate precedes every grid
precision in the candidate order and is at least as good. Where no exact candidate is (a
float edge case within TIE_TOL of m*), the ignored precisions are evaluated like any block.

*Above m*(b) (block bounds).* The agent follows its signal: P(G|G) = q, P(G|B) = 1 − q. The
loss is linear in q, the cost is smallest at the point of a block nearest p, and both
successors b'_G(q) = bq/P_G (increasing) and b'_B(q) = b(1 − q)/(1 − P_G) (decreasing) are
monotone in q, so over a block of consecutive grid precisions each successor stays between
its values at the block's ends, and its interpolated value is at most the largest V over
the nodes spanning that range (a range-maximum table, O(S log S) once per sweep). With
P_G linear in q, Q over the block is at most sup r + δ·max over the two ends of
P_G M_G + (1 − P_G) M_B (plus a 1e-11 relative slack for the bound's own rounding). Blocks
whose bound is below the node's floor (the best active Q minus twice the tie tolerance) are
skipped; all others are evaluated with the full solver's own arithmetic
(:func:`steerherd.dp.bellman.transitions_for`), so evaluated Q-values are bit for bit the
full solver's at the same V.

*Other agent models.* The structure above is checked numerically on every node's switching
edge and on a sample of nodes (:func:`~steerherd.dp.fast_sweep.check_structure`). An agent
model without it (a response table, a noisy behavioural agent) gets every grid precision
evaluated in every sweep, in chunks of nodes: still no nodes × precisions array, but no
pruning either.

What it does not do
-------------------
* ``refine=True`` (continuous refinement of the best grid precision) falls back to the full
  solver (``pi``): the refinement needs the best grid precision among all of them, including
  the dominated ones.
* A finite horizon uses backward induction with the same pruned sweep at every stage
  (method ``finite`` in the certificate, as for the full solver).
* The :class:`~steerherd.dp.policy.Problem` in the returned RawSolution carries the
  transitions of the *exact* candidates only (the point is not to build the full ones).
"""

from __future__ import annotations

import numpy as np

from steerherd.agents import AgentModel, Bayesian
from steerherd.dp.bellman import (
    TIE_Q,
    Transitions,
)
from steerherd.dp.certificate import (
    certify_values,
    finite_horizon,
    mp_gap,
    refine_evaluation,
    target_gap,
)
from steerherd.dp.fast_bounds import Setting
from steerherd.dp.fast_kernel import (
    approx_evaluate,
    choose,
    grid_arrays,
    pack,
)
from steerherd.dp.fast_kernel import greedy as compiled_greedy
from steerherd.dp.fast_ops import Ops
from steerherd.dp.fast_setting import make_setting
from steerherd.dp.fast_sweep import SweepResult
from steerherd.dp.grid import make_belief_grid, make_precision_grid
from steerherd.dp.policy import PolicyRows, Problem, merge, select
from steerherd.dp.solve import (
    RawSolution,
    SolverOptions,
    build_problem,
    grid_breakpoints,
    solve_problem,
)
from steerherd.errors import ConvergenceError
from steerherd.model import Params
from steerherd.types import FloatArray, IntArray

#: Grid neighbours (each side) added with a grid precision that a sweep found better: the
#: best grid precision tends to move by a step or two as V settles, and an active neighbour
#: saves a round.
NEIGHBOURS = 2
#: Before the first sweep, the policy is evaluated exactly only if that takes at most this
#: many contraction steps (else the sweep runs at the approximate V, and a second one
#: certifies the exact V if nothing was added).
CHEAP_STEPS = 4


def solve_fast(
    params: Params,
    beliefs: int = 1001,
    precisions: int = 201,
    agent: AgentModel | None = None,
    refine: bool = False,
    options: SolverOptions | None = None,
    kernel: str = "auto",
) -> RawSolution:
    """Solve the problem that ``build_problem(params, beliefs, precisions, agent)`` describes.

    ``kernel`` is "auto", "numpy" or "numba" (:func:`steerherd.dp.fast_kernel.choose` states
    the rule); both kernels return the same solution.

    Returns the RawSolution that ``solve_problem(build_problem(...), "pi")`` would return (same
    grid, policy, modes and certificate; V equal up to the policy evaluation's rounding),
    with ``certificate.method == "fast"`` (``finite`` for a finite horizon).

    Raises:
        ParameterError: for a bad grid size.
        ConvergenceError: if the iterations reach ``options.max_iter``.
    """
    options = SolverOptions() if options is None else options
    agent = Bayesian() if agent is None else agent
    chosen = choose(kernel, beliefs, precisions)
    if refine:
        problem = build_problem(params, beliefs=beliefs, precisions=precisions, agent=agent,
                                refine=True)
        return solve_problem(problem, "pi", options)
    grid = make_belief_grid(beliefs, grid_breakpoints(params, agent))  # the full solver's grid
    q_grid = make_precision_grid(params.q_min, precisions)
    packed_grid = grid_arrays(grid) if chosen == "numba" else None
    setting = make_setting(params, grid, q_grid, agent, compiled=chosen == "numba",
                           packed_grid=packed_grid)
    problem = Problem(params=params, grid=grid, q_grid=q_grid, agent=agent,
                      transitions=setting.exact)
    ops = Ops(pack(setting, packed_grid) if chosen == "numba" and setting.structured
               else None)
    if params.horizon is not None:
        return _backward_induction(setting, problem, options, ops)
    return _candidate_pi(setting, problem, options, ops)


def _floor(best: FloatArray) -> FloatArray:
    """A value at or below (final best − tie tolerance) whenever the final best ≥ ``best``."""
    return best - 2.0 * TIE_Q * np.maximum(1.0, np.abs(best))


def _candidate_pi(setting: Setting, problem: Problem, options: SolverOptions, ops: Ops
                  ) -> RawSolution:
    delta = setting.params.delta
    active = setting.exact
    n_exact = setting.exact.kind.size
    policy = np.argmax(active.reward, axis=1)  # the myopic policy, as the full solver starts
    iterations = 0
    gap = np.inf
    # The greedy step runs over the active set until its policy is stable; only then does a
    # sweep look at the full candidate set (sweeps cost more than evaluations here).
    memory = None
    # Policies are evaluated approximately (Gauss–Seidel / Jacobi to ~1e-15) until the loop
    # would stop; that policy is then evaluated by dp.evaluate (to 2e-13 of V_σ, or by the
    # sparse LU where that is needed), re-checked, and every later step evaluates the same way.
    exact = False
    v_prev: FloatArray | None = None
    last_added = -1  # nodes where the last sweep added grid precisions (−1: no sweep yet)
    while True:
        if iterations >= options.max_iter:
            raise ConvergenceError(
                f"fast policy iteration stopped at max_iter={options.max_iter} with bound"
                f" gap {gap:.2e}"
            )
        iterations += 1
        refined = False  # a stable policy's V was refined: its gap is within max(ε, floor)
        rows = ops.select(active, policy)
        v = None if exact else approx_evaluate(rows, delta, v_prev, ops.compiled)
        v_exact = v is None
        v = ops.evaluate(rows, delta) if v is None else v
        v_prev = v
        qv, new, best, gap = _greedy(active, policy, v, delta, ops)
        stable = bool(np.array_equal(new, policy))
        if gap >= options.epsilon and not stable:
            policy = new
            continue
        if not v_exact and last_added <= _few(setting):
            # No sweep yet, or the last one changed little: this one may well add nothing,
            # and then it must be at the exact V. Evaluate exactly now if that is cheap (it
            # is, next to a sweep, unless the contraction is slow), and sweep once, not twice.
            v_try = (ops.evaluate(rows, delta) if last_added >= 0
                     else ops.try_evaluate(rows, delta, CHEAP_STEPS))
            if v_try is not None:
                exact = v_exact = True
                v = v_prev = v_try
                qv, new, best, gap = _greedy(active, policy, v, delta, ops)
                stable = bool(np.array_equal(new, policy))
                if gap >= options.epsilon and not stable:
                    policy = new
                    continue
        res = ops.sweep(setting, v, qv[:, :n_exact], _floor(best), memory,
                        last=v_exact and last_added <= _few(setting))
        memory = res.memory
        done = gap < options.epsilon or stable
        if not v_exact and done and not (res.grid_best > best).any():
            # The loop would stop here: evaluate this policy as the full solver does.
            exact = True
            v = ops.evaluate(rows, delta)
            qv, new, best, gap = _greedy(active, policy, v, delta, ops)
            stable = bool(np.array_equal(new, policy))
            res = ops.sweep(setting, v, qv[:, :n_exact], _floor(best), memory, last=True)
            memory = res.memory
        if gap >= options.epsilon and stable and not (res.grid_best > best).any():
            # Nothing can change: the gap is the rounding of the policy evaluation (δ near 1).
            # Refine V for the same policy; if that does not certify it, say so now.
            v = refine_evaluation(rows, delta)  # the rows of this (unchanged) policy
            qv, new, best, gap = _greedy(active, policy, v, delta, ops)
            refined = True
            if gap >= target_gap(delta, v, options):
                raise ConvergenceError(
                    f"fast policy iteration: the policy is stable but its bound gap {gap:.2e}"
                    f" stays above max(epsilon={options.epsilon:.0e}, rounding floor) (the"
                    f" rounding of its"
                    f" evaluation at delta={delta}); use a larger epsilon"
                )
            res = ops.sweep(setting, v, qv[:, :n_exact], _floor(best), memory, last=True)
            memory = res.memory
        add = res.grid_best > best
        last_added = int(np.count_nonzero(add))
        if add.any():
            best_col = active.kind.size + NEIGHBOURS
            active = ops.widen(setting, active, res.grid_arg, add, NEIGHBOURS, res.memory)
            policy = np.where(add, best_col, new)
            exact = False  # a new round: approximate evaluations until it is stable again
        elif gap < options.epsilon or refined:
            return _finish(setting, problem, v, res, iterations, options, "fast", ops)
        else:
            policy = new


def _few(setting: Setting) -> int:
    """A sweep that added grid precisions at this many nodes or fewer changed little."""
    return max(8, setting.grid.size // 32)


def _greedy(active: Transitions, policy: IntArray, v: FloatArray, delta: float, ops: Ops
            ) -> tuple[FloatArray, IntArray, FloatArray, float]:
    """(Q-values, greedy policy keeping exact ties, T V, MacQueen–Porteus gap) over ``active``."""
    if ops.compiled:
        qv, new, best = compiled_greedy(active, policy, v)  # the same bits, one pass
        return qv, new, best, mp_gap(delta, best - v)[0]
    qv = ops.q_values(active, v)
    start = np.arange(0, qv.size, qv.shape[1])  # each row's first entry in qv.ravel()
    new = np.argmax(qv, axis=1)
    best = qv.take(start + new)
    new = np.where(qv.take(start + policy) >= best, policy, new)
    return qv, new, best, mp_gap(delta, best - v)[0]


def _report_rows(setting: Setting, res: SweepResult, ops: Ops) -> PolicyRows:
    """The reported candidate at every node (exact column, or grid precision)."""
    exact_rows = select(setting.exact, np.maximum(res.exact_col, 0))
    on_grid = res.exact_col < 0
    if not on_grid.any():
        return exact_rows
    col = ops.column(setting, np.where(on_grid, res.grid_col, 0), on_grid)
    return merge(on_grid, select(col, np.zeros(on_grid.size, dtype=np.int64)), exact_rows)


def _finish(setting: Setting, problem: Problem, v: FloatArray, res: SweepResult,
            iterations: int, options: SolverOptions, method: str, ops: Ops) -> RawSolution:
    """The certificate over the full candidate set (from the sweep) and the reported policy."""
    cert = certify_values(v, res.tv, setting.params.delta, method, iterations, options)
    return RawSolution(problem=problem, value=v, rows=_report_rows(setting, res, ops),
                       certificate=cert)


def _backward_induction(setting: Setting, problem: Problem, options: SolverOptions, ops: Ops
                        ) -> RawSolution:
    horizon = int(setting.params.horizon or 0)
    v = np.zeros(setting.grid.size)
    stages: list[PolicyRows] = []
    for _ in range(horizon):
        exact_q = setting.exact.q_values(v)
        res = ops.sweep(setting, v, exact_q, _floor(exact_q.max(axis=1)))
        stages.append(_report_rows(setting, res, ops))
        v = res.tv
    stages.reverse()  # stages[0] is the first agent's
    return finite_horizon(problem, v, stages, options)
