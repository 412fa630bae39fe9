"""The friendly entry point: ``steerherd.solve(params)`` → :class:`Solution`."""

from __future__ import annotations

import time
from collections.abc import Sequence

from steerherd.agents import AgentModel
from steerherd.dp.solve import METHODS, SolverOptions, build_problem, solve_problem
from steerherd.errors import ParameterError
from steerherd.model import Params
from steerherd.solution import Solution

BACKENDS = ("numpy", "jax")
#: ``fast`` (the default) and the full reference solvers of :mod:`steerherd.dp.solve`.
SOLVE_METHODS = (*METHODS, "fast")


def solve(
    params: Params,
    *,
    beliefs: int = 1001,
    precisions: int = 201,
    method: str = "fast",
    agent: AgentModel | None = None,
    refine: bool = False,
    options: SolverOptions | None = None,
    backend: str = "numpy",
    tol: float | None = None,
) -> Solution:
    """Solve the planner's problem on a belief grid.

    Args:
        params: the problem (planner, p, C, δ, cost, horizon).
        beliefs: number of belief nodes (plus three at each breakpoint).
        precisions: size of the precision grid on [q_min, 1] (the exact candidates p, 1,
            max(b, 1 − b) and its one-sided limits are always tried as well).
        method: ``fast`` (default: candidate-set policy iteration with a certifying sweep,
            :mod:`steerherd.dp.fast`; the same grid, candidates, policy and certificate as
            ``pi`` without building the nodes × candidates arrays), or the full reference
            solvers ``pi``, ``vi``, ``mpi`` and ``lp`` (HiGHS via cvxpy, the cross-check; its
            dual is on ``Solution.lp``). A finite horizon uses backward induction (pruned
            with ``fast``). With ``backend="jax"``, ``fast`` means the backend's ``pi``.
        agent: the agent response model (default :class:`~steerherd.agents.Bayesian`).
        refine: refine the best grid precision continuously at every belief.
        options: stopping rule and limits.
        backend: ``numpy`` (the reference) or ``jax`` (float64, vi/mpi; ``pi`` runs as
            mpi there; infinite horizon, Bayesian agents, linear or power cost; needs
            ``steerherd[jax]``).
        tol: also certify the continuous-belief problem: refine cell bounds until
            max(upper − lower) ≤ tol (:mod:`steerherd.dp.bounds.certify`). Without it the bounds
            are computed on the first ``sol.bounds`` call, at the default tolerance.

    Returns:
        The Solution, with its certificate.

    Raises:
        ParameterError: for a bad argument (the message names it and what is allowed).
        ConvergenceError: if the solver hits its iteration limit, or ``tol`` is not reached
            (the message names the gap reached).

    >>> from steerherd.model.costs import LinearCost
    >>> sol = solve(Params(planner="altruistic", p=0.7, delta=0.0, cost=LinearCost(0.5)),
    ...             beliefs=101)
    >>> float(sol.policy(0.5)), str(sol.mode(0.5))
    (1.0, 'full')
    """
    if backend not in BACKENDS:
        raise ParameterError(f"backend must be one of {list(BACKENDS)}, got {backend!r}")
    if method not in SOLVE_METHODS:
        raise ParameterError(f"method must be one of {list(SOLVE_METHODS)}, got {method!r}")
    if backend == "jax":
        if agent is not None or refine:
            raise ParameterError("the jax backend supports Bayesian agents without refine;"
                                 " use backend='numpy'")
        from steerherd.dp.jax_backend import solve_jax

        sol = Solution(**solve_jax(params, beliefs=beliefs, precisions=precisions,
                                   method="pi" if method == "fast" else method,
                                   options=options))
        if tol is not None:
            sol.certified_bounds(tol)
        return sol
    if tol is not None and agent is not None:
        from steerherd.dp.bounds.cache import check_agent

        check_agent(agent.to_dict())
    start = time.perf_counter()
    if method == "fast":
        from steerherd.dp.fast import solve_fast

        raw = solve_fast(params, beliefs=beliefs, precisions=precisions, agent=agent,
                         refine=refine, options=options)
    else:
        problem = build_problem(params, beliefs=beliefs, precisions=precisions, agent=agent,
                                refine=refine)
        raw = solve_problem(problem, method=method, options=options)
    sol = Solution.from_raw(raw, seconds=time.perf_counter() - start)
    if tol is not None:
        sol.certified_bounds(tol)
    return sol


def solve_batch(
    params_list: Sequence[Params],
    *,
    beliefs: int = 1001,
    precisions: int = 201,
    method: str = "mpi",
    options: SolverOptions | None = None,
    backend: str = "jax",
) -> list[Solution]:
    """Solve many problems on one grid size: vmapped with ``backend="jax"``, else a loop.

    See :func:`steerherd.dp.jax_backend.solve_batch` for the JAX batch's limits.

    Raises:
        ParameterError: for a bad argument.
        ConvergenceError: if any problem reaches its iteration limit.
    """
    if backend not in BACKENDS:
        raise ParameterError(f"backend must be one of {list(BACKENDS)}, got {backend!r}")
    if backend == "jax":
        from steerherd.dp.jax_backend import solve_batch as jax_batch

        return [Solution(**fields) for fields in jax_batch(
            params_list, beliefs=beliefs, precisions=precisions, method=method, options=options)]
    return [solve(p, beliefs=beliefs, precisions=precisions, method=method, options=options)
            for p in params_list]
