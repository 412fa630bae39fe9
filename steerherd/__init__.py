"""steerherd: controlled sequential social learning.

Solve the planner's problem (altruistic or biased) over the public belief, simulate
populations of agents, and run language models as planner, oracle and agents.

The public names are loaded on first use, so that ``steerherd --help`` does not pay for
numpy and scipy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "solve": "steerherd._solve",
    "solve_batch": "steerherd._solve",
    "AgentModel": "steerherd.agents",
    "Bayesian": "steerherd.agents",
    "Behavioral": "steerherd.agents",
    "Tabulated": "steerherd.agents",
    "CallableCost": "steerherd.costs",
    "LinearCost": "steerherd.costs",
    "PowerCost": "steerherd.costs",
    "make_cost": "steerherd.costs",
    "SolverOptions": "steerherd.dp.solve",
    "ConvergenceError": "steerherd.errors",
    "ParameterError": "steerherd.errors",
    "SteerherdError": "steerherd.errors",
    "Params": "steerherd.model",
    "Solution": "steerherd.solution",
}

__all__ = [
    "AgentModel",
    "Bayesian",
    "Behavioral",
    "CallableCost",
    "ConvergenceError",
    "LinearCost",
    "ParameterError",
    "Params",
    "PowerCost",
    "Solution",
    "SolverOptions",
    "SteerherdError",
    "Tabulated",
    "__version__",
    "make_cost",
    "solve",
    "solve_batch",
]

if TYPE_CHECKING:
    from steerherd._solve import solve, solve_batch
    from steerherd.agents import AgentModel, Bayesian, Behavioral, Tabulated
    from steerherd.costs import CallableCost, LinearCost, PowerCost, make_cost
    from steerherd.dp.solve import SolverOptions
    from steerherd.errors import ConvergenceError, ParameterError, SteerherdError
    from steerherd.model import Params
    from steerherd.solution import Solution


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'steerherd' has no attribute {name!r}")
