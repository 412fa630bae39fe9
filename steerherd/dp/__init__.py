"""Dynamic programming on the public belief: grid, Bellman operator, solvers."""

from steerherd.dp.certificate import Certificate, RawSolution, SolverOptions
from steerherd.dp.grid import BeliefGrid, make_belief_grid, make_precision_grid
from steerherd.dp.kernel import expected_value
from steerherd.dp.policy import evaluate_policy
from steerherd.dp.solve import METHODS, build_problem, solve_problem

__all__ = [
    "METHODS",
    "BeliefGrid",
    "Certificate",
    "RawSolution",
    "SolverOptions",
    "build_problem",
    "evaluate_policy",
    "expected_value",
    "make_belief_grid",
    "make_precision_grid",
    "solve_problem",
]
