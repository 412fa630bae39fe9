r"""Certificates on the grid: the stopping rule's evidence, shared by every grid solver.

The MacQueen–Porteus bounds (Puterman 2005, §6.6.3): for any V and d = T V − V,

    T V + δ/(1−δ)·min d  ≤  V*  ≤  T V + δ/(1−δ)·max d

at every node of the *discretised* MDP. They certify the grid problem's values, not the
continuous-belief problem's (see :mod:`steerherd.dp.bounds.certify` for those bounds).

**The rounding floor.** d = T V − V is computed in double precision, so each entry carries a
rounding error of a few ulps of max|V|, and the gap δ/(1−δ)·span(d) cannot be certified below
about δ/(1−δ)·ulp(max|V|) however exact V is. With |V| up to C/(1−δ) this floor passes the
default ε = 1e-10 near δ ≈ 0.995. Every solver therefore stops at
``max(ε, ROUNDING_ULPS·eps·max(1, max|V|)·δ/(1−δ))`` and the certificate records the floor
beside ε; the gap it reports is the gap reached, so the bounds stay what they say.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from steerherd.dp.bellman import TIE_Q
from steerherd.dp.evaluate import lu_solve, row_nodes
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
        epsilon_floor: the rounding floor at these values (module docstring); the stopping
            rule is gap < max(epsilon, epsilon_floor).
    """

    converged: bool
    method: str
    iterations: int
    bellman_residual: float
    lower: FloatArray
    upper: FloatArray
    gap: float
    epsilon: float
    epsilon_floor: float = 0.0

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict."""
        return {
            "converged": self.converged,
            "method": self.method,
            "iterations": self.iterations,
            "bellman_residual": self.bellman_residual,
            "gap": self.gap,
            "epsilon": self.epsilon,
            "epsilon_floor": self.epsilon_floor,
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


#: ulps of max|V| that one Bellman step's d = T V − V may carry (a safety factor over the
#: 1–2 ulps measured at δ ≈ 0.998: a 4-term interpolated expectation, a reward and a max).
ROUNDING_ULPS = 16


def rounding_floor(delta: float, v: FloatArray) -> float:
    """The smallest MacQueen–Porteus gap double precision can certify for values ``v``."""
    if delta == 0.0:
        return 0.0
    scale = max(1.0, float(np.abs(v).max()))
    return ROUNDING_ULPS * float(np.finfo(np.float64).eps) * scale * delta / (1.0 - delta)


def target_gap(delta: float, v: FloatArray, options: SolverOptions) -> float:
    """The stopping rule's target: max(ε, the rounding floor at ``v``)."""
    return max(options.epsilon, rounding_floor(delta, v))


def refine_evaluation(rows: PolicyRows, delta: float, steps: int = 2) -> FloatArray:
    """V_σ by the sparse LU, then iterative refinement: (I − δP_σ) d = T_σ V − V, V += d.

    For a stable policy whose gap is above ε (δ near 1: the gap is δ/(1 − δ) times the
    rounding of T_σ V − V). It starts from the LU's value, not from the value that
    :func:`steerherd.dp.policy.evaluate_policy` gave, as it did when the LU was the solvers'
    evaluation (the contraction's correction is closer to V_σ, but not nearer a fixed point
    of the floating-point map, which is what the certificate sees). The residual is the
    floating-point one, and V settles near that fixed point. Both solvers call this, so they
    still agree bit for bit.
    """
    nodes = row_nodes(rows)
    v = lu_solve(rows.reward, nodes, list(rows.weights), delta)
    for _ in range(steps):
        residual = rows.reward + delta * rows.expected_next(v) - v
        v = v + lu_solve(residual, nodes, list(rows.weights), delta)
    return v


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
        ConvergenceError: if the MacQueen–Porteus gap is not below max(ε, rounding floor).
    """
    d = tv - v
    gap, lo, hi = mp_gap(delta, d)
    floor = rounding_floor(delta, v)
    cert = Certificate(
        converged=gap < max(options.epsilon, floor) or delta == 0.0,
        method=method,
        iterations=iterations,
        bellman_residual=float(np.abs(d).max()),
        lower=tv + lo,
        upper=tv + hi,
        gap=gap,
        epsilon=options.epsilon,
        epsilon_floor=floor,
    )
    if not cert.converged:
        raise ConvergenceError(
            f"{method}: the returned values fail their own check, bound gap {gap:.2e}"
            f" > max(epsilon={options.epsilon:.0e}, rounding floor {floor:.1e})"
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
