r"""Solvers for the planner's problem on the belief grid.

Infinite horizon (δ < 1), stationary: V = T V with T from :mod:`steerherd.dp.bellman`.

* ``vi``  value iteration, V ← T V;
* ``pi``  Howard policy iteration: greedy step, then exact policy evaluation by a sparse
  linear solve of (I − δ P_σ) V = r_σ, until the policy repeats;
* ``mpi`` modified policy iteration: greedy step, then ``mpi_steps`` applications of T_σ.

All three stop on the MacQueen–Porteus bounds (Puterman 2005, §6.6.3): for any V,

    T V + δ/(1−δ)·min(T V − V)  ≤  V*  ≤  T V + δ/(1−δ)·max(T V − V),

so the gap δ/(1−δ)·span(T V − V) < ε certifies every node's value to within ε on the grid;
the value returned is the midpoint, within ε/2 of V*. Near δ = 1 double precision cannot
certify below a rounding floor (:func:`~steerherd.dp.certificate.rounding_floor`), so the
target is max(ε, floor). A policy that repeats while the gap is above it has its evaluation
refined (two steps of iterative refinement); if that does not certify it, or ``max_iter`` is
reached first, :class:`~steerherd.errors.ConvergenceError` is raised.

Finite horizon N (any δ ∈ [0, 1]): backward induction from V_{N+1} = 0, exact on the grid.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from steerherd.agents import AgentModel, Bayesian
from steerherd.dp.bellman import TIE_Q, build_transitions
from steerherd.dp.certificate import (
    Certificate,
    RawSolution,
    SolverOptions,
    finish,
    finite_horizon,
    mp_gap,
    refine_evaluation,
    target_gap,
)
from steerherd.dp.grid import make_belief_grid, make_precision_grid
from steerherd.dp.policy import (
    PolicyRows,
    Problem,
    evaluate_policy,
    improve,
    refined_precisions,
    with_candidates,
)
from steerherd.errors import ConvergenceError, ParameterError
from steerherd.model import TIE_TOL, Params
from steerherd.types import FloatArray

METHODS = ("vi", "pi", "mpi", "lp")
#: Rounds of continuous refinement (each adds one candidate per node and re-solves).
REFINE_ROUNDS = 2

#: Names kept for callers of the 0.1 layout.
_finish = finish
_mp_gap = mp_gap

__all__ = ["METHODS", "Certificate", "RawSolution", "SolverOptions", "build_problem",
           "evaluate_policy", "solve_problem"]


def build_problem(
    params: Params,
    beliefs: int = 1001,
    precisions: int = 201,
    agent: AgentModel | None = None,
    refine: bool = False,
) -> Problem:
    """Discretise: belief grid (with the agent model's breakpoints) and transitions."""
    agent = Bayesian() if agent is None else agent
    grid = make_belief_grid(beliefs, grid_breakpoints(params, agent))
    q_grid = make_precision_grid(params.q_min, precisions)
    tr = build_transitions(params, grid, q_grid, agent)
    return Problem(params=params, grid=grid, q_grid=q_grid, agent=agent, transitions=tr,
                   refine=refine)


def grid_breakpoints(params: Params, agent: AgentModel) -> tuple[float, ...]:
    """The agent model's breakpoints, and 1 − p and p for any agent with a switching precision.

    From b = 1 − p and b = p the free signal's successor is exactly 1/2, where the biased
    value jumps; those beliefs get nodes of their own (Bayesian agents list them already), so
    that the value and the policy reported there are the point's own, never an interpolation
    across the jump (a non-Bayesian agent's own breakpoints do not include them).
    """
    points = sorted(agent.breakpoints(params))
    if agent.critical_precision(np.array([0.5])) is not None and params.p > 0.5:
        for x in (1.0 - params.p, params.p):
            if all(abs(x - y) > TIE_TOL for y in points):
                points.append(x)
    return tuple(sorted(points))


def solve_problem(problem: Problem, method: str = "pi", options: SolverOptions | None = None
                  ) -> RawSolution:
    """Solve a discretised problem (see :func:`steerherd.solve` for the friendly entry point)."""
    options = SolverOptions() if options is None else options
    if method == "lp":
        from steerherd.dp.lp import solve_lp

        return solve_lp(problem, options)
    if problem.params.horizon is not None:
        return _backward_induction(problem, options)
    drivers: dict[str, Any] = {"vi": _value_iteration, "pi": _policy_iteration,
                               "mpi": _modified_pi}
    if method not in drivers:
        raise ParameterError(f"method must be one of {list(METHODS)}, got {method!r}")
    v, iterations, qv = drivers[method](problem, options)
    for _ in range(REFINE_ROUNDS if problem.refine else 0):
        # Refine against the converged V, add the refined precisions as candidates, re-solve.
        problem = with_candidates(problem, refined_precisions(problem, v))
        v, more, qv = drivers[method](problem, options)
        iterations += more
    return finish(problem, v, method, iterations, options, qv)



#: What a driver returns: (V, iterations, Q-values at V if it computed them, else None).
_Driven = tuple[FloatArray, int, FloatArray | None]


def _value_iteration(problem: Problem, options: SolverOptions) -> _Driven:
    return _modified_pi(problem, options, steps=0)


def _policy_iteration(problem: Problem, options: SolverOptions) -> _Driven:
    delta = problem.params.delta
    rows, _ = improve(problem, None)  # the myopic policy: V = 0 needs no expectation
    for it in range(1, options.max_iter + 1):
        v = evaluate_policy(rows, delta)
        qv = problem.transitions.q_values(v)
        new, tv = improve(problem, v, keep=rows, qv=qv)
        gap, _, _ = mp_gap(delta, tv - v)
        if gap >= options.epsilon and _same_policy(new, rows):
            # Nothing can change: the gap is the rounding of the evaluation (δ near 1).
            v = refine_evaluation(rows, delta)
            qv = problem.transitions.q_values(v)
            new, tv = improve(problem, v, keep=rows, qv=qv)
            gap, _, _ = mp_gap(delta, tv - v)
            if gap >= target_gap(delta, v, options):
                raise ConvergenceError(
                    f"policy iteration: the policy is stable but its bound gap {gap:.2e}"
                    f" stays above max(epsilon={options.epsilon:.0e}, rounding floor) (the"
                    f" rounding of its evaluation at delta={delta}); use a larger epsilon"
                )
            return v, it, qv
        if gap < options.epsilon:
            return v, it, qv  # _finish reuses the Q-values at the returned V
        rows = new
    raise ConvergenceError(
        f"policy iteration stopped at max_iter={options.max_iter} with bound gap {gap:.2e}"
    )


def _same_policy(a: PolicyRows, b: PolicyRows) -> bool:
    return bool(np.array_equal(a.q, b.q) and np.array_equal(a.kind, b.kind)
                and np.array_equal(a.side, b.side))


def _modified_pi(
    problem: Problem, options: SolverOptions, steps: int | None = None
) -> _Driven:
    """Greedy step, then ``steps`` applications of T_σ (default ``mpi_steps``; 0 is VI)."""
    delta = problem.params.delta
    steps = options.mpi_steps if steps is None else steps
    name = "value iteration" if steps == 0 else "modified policy iteration"
    v = np.zeros(problem.grid.size)
    for it in range(1, options.max_iter + 1):
        rows, tv = improve(problem, v)
        gap, lo, hi = mp_gap(delta, tv - v)
        if gap < target_gap(delta, tv, options):
            return tv + 0.5 * (lo + hi), it, None  # the midpoint: no Q-values at it yet
        v = tv
        for _ in range(steps):
            v = rows.reward + delta * rows.expected_next(v)
    raise ConvergenceError(
        f"{name} stopped at max_iter={options.max_iter} with bound gap {gap:.2e}"
        f" > epsilon={options.epsilon:.0e}; raise max_iter or use --method pi"
    )


def _backward_induction(problem: Problem, options: SolverOptions) -> RawSolution:
    horizon = int(problem.params.horizon or 0)
    v = np.zeros(problem.grid.size)
    stages: list[PolicyRows] = []
    for _ in range(horizon):
        rows, v = improve(problem, v, tie=TIE_Q)
        stages.append(rows)
    stages.reverse()  # stages[0] is the first agent's
    return finite_horizon(problem, v, stages, options)
