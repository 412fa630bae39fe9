r"""Certificates on the grid: the stopping rule's evidence, shared by every grid solver.

The MacQueen–Porteus bounds (Puterman 2005, §6.6.3): for any V and d = T V − V,

    T V + δ/(1−δ)·min d  ≤  V*  ≤  T V + δ/(1−δ)·max d

at every node of the *discretised* MDP. They certify the grid problem's values, not the
continuous-belief problem's (see :mod:`steerherd.dp.bounds.certify` for those bounds).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from steerherd.dp.bellman import TIE_Q
from steerherd.dp.policy import PolicyRows, Problem, improve
from steerherd.errors import ConvergenceError, ParameterError
from steerherd.types import FloatArray


@dataclass(frozen=True)
class SolverOptions:
    """Stopping rule and limits.

    Args:
        epsilon: target MacQueen–Porteus gap on the grid (values within ε/2 of V*).
        max_iter: iteration limit; reaching it raises ConvergenceError.
        mpi_steps: partial policy-evaluation steps per iteration of ``mpi``.
    """

    epsilon: float = 1e-10
    max_iter: int = 100_000
    mpi_steps: int = 20

    def __post_init__(self) -> None:
        if not self.epsilon > 0:
            raise ParameterError(f"epsilon must be > 0, got {self.epsilon}")
        if self.max_iter < 1:
            raise ParameterError(f"max_iter must be >= 1, got {self.max_iter}")
        if self.mpi_steps < 1:
            raise ParameterError(f"mpi_steps must be >= 1, got {self.mpi_steps}")


@dataclass(frozen=True, eq=False)
class Certificate:
    """Evidence for a solution on its grid.

    Attributes:
        converged: the stopping rule was met (always true for a returned solution).
        method: ``vi``, ``pi``, ``mpi`` or ``finite``.
        iterations: iterations (stages, for a finite horizon).
        bellman_residual: ‖T V − V‖∞ for the returned V.
        lower, upper: MacQueen–Porteus bounds on V* at every node.
        gap: max(upper − lower).
        epsilon: the target gap.
    """

    converged: bool
    method: str
    iterations: int
    bellman_residual: float
    lower: FloatArray
    upper: FloatArray
    gap: float
    epsilon: float

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict."""
        return {
            "converged": self.converged,
            "method": self.method,
            "iterations": self.iterations,
            "bellman_residual": self.bellman_residual,
            "gap": self.gap,
            "epsilon": self.epsilon,
            "lower": self.lower.tolist(),
            "upper": self.upper.tolist(),
        }


@dataclass(frozen=True, eq=False)
class RawSolution:
    """What a solver returns before it is wrapped in a Solution."""

    problem: Problem
    value: FloatArray
    rows: PolicyRows
    certificate: Certificate
    stage_rows: tuple[PolicyRows, ...] = ()
    lp: Any = None  # steerherd.dp.lp.LPResult for method "lp": LP values and dual occupancy


def mp_gap(delta: float, d: FloatArray) -> tuple[float, float, float]:
    """(gap, lower offset, upper offset) of the MacQueen–Porteus bounds for d = T V − V."""
    if delta == 0.0:
        return 0.0, 0.0, 0.0
    c = delta / (1.0 - delta)
    lo, hi = c * float(d.min()), c * float(d.max())
    return hi - lo, lo, hi


def finish(
    problem: Problem,
    v: FloatArray,
    method: str,
    iterations: int,
    options: SolverOptions,
    qv: FloatArray | None = None,
) -> RawSolution:
    """The certificate of V, and the greedy policy with near-ties broken by candidate order.

    ``qv`` are the Q-values at ``v`` when the driver already computed them.
    """
    rows, tv = improve(problem, v, tie=TIE_Q, qv=qv)
    cert = certify_values(v, tv, problem.params.delta, method, iterations, options)
    return RawSolution(problem=problem, value=v, rows=rows, certificate=cert)


def certify_values(v: FloatArray, tv: FloatArray, delta: float, method: str, iterations: int,
                   options: SolverOptions) -> Certificate:
    """The certificate of values ``v`` from one Bellman step ``tv`` = T v (over every candidate).

    Raises:
        ConvergenceError: if the MacQueen–Porteus gap is not below ``options.epsilon``.
    """
    d = tv - v
    gap, lo, hi = mp_gap(delta, d)
    cert = Certificate(
        converged=gap < options.epsilon or delta == 0.0,
        method=method,
        iterations=iterations,
        bellman_residual=float(np.abs(d).max()),
        lower=tv + lo,
        upper=tv + hi,
        gap=gap,
        epsilon=options.epsilon,
    )
    if not cert.converged:
        raise ConvergenceError(
            f"{method}: the returned values fail their own check, bound gap {gap:.2e}"
            f" > epsilon={options.epsilon:.0e}"
        )
    return cert


def finite_horizon(problem: Problem, v: FloatArray, stages: list[PolicyRows],
                   options: SolverOptions) -> RawSolution:
    """The result of backward induction: exact on the grid, so its bounds are V itself.

    Args:
        problem: the discretised problem.
        v: the first agent's values.
        stages: the policy rows of each agent, the first agent's first.
        options: the solver options (their epsilon is recorded).
    """
    cert = Certificate(
        converged=True, method="finite", iterations=len(stages), bellman_residual=0.0,
        lower=v.copy(), upper=v.copy(), gap=0.0, epsilon=options.epsilon,
    )
    return RawSolution(problem=problem, value=v, rows=stages[0], certificate=cert,
                       stage_rows=tuple(stages))
