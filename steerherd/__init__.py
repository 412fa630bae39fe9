"""steerherd: controlled sequential social learning.

Solve the planner's problem (altruistic or biased) over the public belief, simulate
populations of agents, and run language models as planner, oracle and agents.
"""

__version__ = "0.1.0"

from steerherd._solve import solve, solve_batch
from steerherd.agents import AgentModel, Bayesian
from steerherd.costs import CallableCost, LinearCost, PowerCost, make_cost
from steerherd.dp.solve import SolverOptions
from steerherd.errors import ConvergenceError, ParameterError, SteerherdError
from steerherd.model import Params
from steerherd.solution import Solution

__all__ = [
    "AgentModel",
    "Bayesian",
    "CallableCost",
    "ConvergenceError",
    "LinearCost",
    "Params",
    "ParameterError",
    "PowerCost",
    "Solution",
    "SolverOptions",
    "SteerherdError",
    "__version__",
    "make_cost",
    "solve",
    "solve_batch",
]
