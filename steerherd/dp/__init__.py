"""Dynamic programming on the public belief: grid, Bellman operator, solvers."""

from steerherd.dp.grid import BeliefGrid, make_belief_grid, make_precision_grid
from steerherd.dp.solve import (
    METHODS,
    Certificate,
    SolverOptions,
    build_problem,
    evaluate_policy,
    solve_problem,
)

__all__ = [
    "METHODS",
    "BeliefGrid",
    "Certificate",
    "SolverOptions",
    "build_problem",
    "evaluate_policy",
    "make_belief_grid",
    "make_precision_grid",
    "solve_problem",
]
