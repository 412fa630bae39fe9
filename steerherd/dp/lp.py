r"""The linear-programming cross-check: the same discretised MDP, solved by HiGHS via cvxpy.

For a discounted MDP the optimal values are the least V with V ≥ T V, i.e. the solution of

    minimise  Σ_s μ_s V_s   subject to   V_s − δ Σ_{s'} P(s' | s, a) V_{s'} ≥ r(s, a)

for every node s and every *feasible* candidate a (μ > 0, here uniform over the nodes). Its
dual is the discounted occupancy measure

    x(s, a) = E_μ Σ_t δ^t 1{s_t = s, a_t = a} ≥ 0,
    Σ_a x(s', a) − δ Σ_{s,a} P(s' | s, a) x(s, a) = μ_{s'},

and strong duality gives Σ μ_s V_s = Σ r(s, a) x(s, a). The constraint matrix is built sparse
from the transition arrays (each row: the node itself and four interpolation weights), never
as a dense nodes × candidates × nodes tensor.

HiGHS stops on feasibility tolerances (set to :data:`LP_TOL`), so its values carry an error of
that order. The returned Solution is *polished*: the argmax policy of the LP values is
evaluated exactly (a policy-evaluation step, repeated only if that policy can still be
strictly improved; the certificate's ``iterations`` counts the evaluations) and certified like
any other solver's output; the LP's own values and its dual are kept on :class:`LPResult`.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from steerherd.dp.certificate import RawSolution, SolverOptions, finish
from steerherd.dp.policy import Problem, evaluate_policy, improve, select
from steerherd.errors import ConvergenceError, ParameterError
from steerherd.model.tolerances import LP_TOL  # noqa: F401  (the table of tolerances)
from steerherd.types import FloatArray


@dataclass(frozen=True, eq=False)
class LPResult:
    """What the LP returned, before polishing.

    Attributes:
        value: the LP's optimal V at every node (HiGHS accuracy).
        occupancy: the dual x(s, a), shape (nodes, candidates); 0 where infeasible.
        initial: the weights μ of the objective (the occupancy measure's start distribution).
        objective: Σ μ_s V_s.
        dual_objective: Σ r(s, a) x(s, a) (equal to ``objective`` at optimality).
        status: cvxpy's status string.
        rows: number of constraints (feasible node–candidate pairs).
        seconds: time to build and solve the LP.
    """

    value: FloatArray
    occupancy: FloatArray
    initial: FloatArray
    objective: float
    dual_objective: float
    status: str
    rows: int
    seconds: float

    @property
    def duality_gap(self) -> float:
        """|primal − dual objective|."""
        return abs(self.objective - self.dual_objective)


def lp_matrix(problem: Problem) -> tuple[sp.csr_matrix, FloatArray, np.ndarray]:
    """Constraint matrix A (rows: feasible pairs), right-hand side r and the pair mask.

    Row (s, a) of A is e_s − δ·P(· | s, a), so the constraints read A V ≥ r.
    """
    tr = problem.transitions
    n, m = tr.shape
    feasible = np.isfinite(tr.reward)
    pair_node, pair_cand = np.nonzero(feasible)
    k = pair_node.size
    row = np.arange(k)
    cols = [pair_node]
    vals = [np.ones(k)]
    for j, lo in enumerate((tr.lo_g, tr.lo_g + 1, tr.lo_b, tr.lo_b + 1)):
        cols.append(lo[pair_node, pair_cand])
        vals.append(-tr.delta * tr.weights[j][pair_node, pair_cand])
    col = np.concatenate(cols)
    val = np.concatenate(vals)
    rows = np.tile(row, 5)
    keep = (val != 0.0) & (col < n)
    a = sp.csr_matrix((val[keep], (rows[keep], col[keep])), shape=(k, n))
    del m
    return a, tr.reward[feasible], feasible


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Silence file descriptor 1 while the LP solver runs.

    HiGHS prints its banner from C++ before any option is read, which would corrupt
    ``steerherd solve --json -``.
    """
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def solve_lp_values(problem: Problem) -> LPResult:
    """Solve the primal LP with HiGHS and read off the dual occupancy measure.

    Raises:
        ParameterError: for a finite horizon (the LP is for the discounted problem) or
            continuous refinement (the LP has one column per grid candidate).
        ImportError: if cvxpy or highspy is missing.
        ConvergenceError: if HiGHS does not report an optimum.
    """
    if problem.refine:
        raise ParameterError("method 'lp' solves over the candidate precisions on the grid;"
                             " refine=True (--refine) is not supported with it: drop --refine"
                             " or use method 'pi'")
    if problem.params.horizon is not None:
        raise ParameterError(
            f"method 'lp' solves the infinite-horizon discounted problem only, got"
            f" horizon={problem.params.horizon}; use method 'pi' (backward induction)"
        )
    try:
        import cvxpy as cp
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError("install steerherd[lp] (cvxpy and highspy) to use method 'lp'") from exc
    start = time.perf_counter()
    a, r, feasible = lp_matrix(problem)
    n = problem.grid.size
    mu = np.full(n, 1.0 / n)
    v = cp.Variable(n)
    cons = a @ v >= r
    prob = cp.Problem(cp.Minimize(mu @ v), [cons])
    try:
        with _quiet_stdout():
            prob.solve(solver="HIGHS", primal_feasibility_tolerance=LP_TOL,
                       dual_feasibility_tolerance=LP_TOL, output_flag=False)
    except cp.error.SolverError as exc:
        raise ConvergenceError(f"lp: HiGHS failed ({exc})") from None
    if prob.status != cp.OPTIMAL or v.value is None:
        raise ConvergenceError(f"lp: HiGHS stopped with status {prob.status!r}, not optimal")
    dual = np.maximum(np.asarray(cons.dual_value, dtype=np.float64), 0.0)
    occupancy = np.zeros(feasible.shape)
    occupancy[feasible] = dual
    value = np.asarray(v.value, dtype=np.float64)
    return LPResult(
        value=value, occupancy=occupancy, initial=mu, objective=float(mu @ value),
        dual_objective=float(r @ dual), status=str(prob.status), rows=int(r.size),
        seconds=time.perf_counter() - start,
    )


def polish(problem: Problem, value: FloatArray, max_steps: int = 10) -> tuple[FloatArray, int]:
    """Exact values of the argmax policy of ``value``, improved until it is stable.

    Returns:
        ``(values, steps)``: the policy's exact values and the number of evaluations (1 when
        the LP's own greedy policy is already optimal, the usual case).
    """
    tr = problem.transitions
    rows = select(tr, np.argmax(tr.q_values(value), axis=1))
    for step in range(1, max_steps + 1):
        v = evaluate_policy(rows, problem.params.delta)
        new, _ = improve(problem, v, keep=rows)  # the exact argmax where strictly better
        if np.array_equal(new.q, rows.q) and np.array_equal(new.kind, rows.kind):
            return v, step
        rows = new
    return v, max_steps


def solve_lp(problem: Problem, options: SolverOptions | None = None) -> RawSolution:
    """Solve by LP, polish, certify; the RawSolution carries the :class:`LPResult`.

    Args:
        problem: the discretised problem (infinite horizon).
        options: :class:`~steerherd.dp.solve.SolverOptions` (its epsilon is the certificate's).

    Returns:
        A :class:`~steerherd.dp.solve.RawSolution` with ``lp`` set.
    """
    opts = SolverOptions() if options is None else options
    lp = solve_lp_values(problem)
    try:
        value, steps = polish(problem, lp.value)
        raw = finish(problem, value, "lp", steps, opts)
    except ConvergenceError as exc:
        raise ConvergenceError(
            f"lp: the greedy policy of the LP values fails its certificate ({exc});"
            " use method 'pi'"
        ) from None
    return replace(raw, lp=lp)
