"""steerherd: controlled sequential social learning.

Solve the planner's problem (altruistic or biased) over the public belief, simulate
populations of agents, and run language models as planner, oracle and agents.

The public names are loaded on first use, so that ``steerherd --help`` does not pay for
numpy and scipy.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import warnings
from types import ModuleType
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "solve": "steerherd.api",
    "solve_batch": "steerherd.api",
    "AgentModel": "steerherd.agents",
    "Bayesian": "steerherd.agents",
    "Behavioral": "steerherd.agents",
    "Tabulated": "steerherd.agents",
    "CallableCost": "steerherd.model.costs",
    "LinearCost": "steerherd.model.costs",
    "PowerCost": "steerherd.model.costs",
    "make_cost": "steerherd.model.costs",
    "SolverOptions": "steerherd.dp.certificate",
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
    from steerherd.agents import AgentModel, Bayesian, Behavioral, Tabulated
    from steerherd.api import solve, solve_batch
    from steerherd.dp.certificate import SolverOptions
    from steerherd.errors import ConvergenceError, ParameterError, SteerherdError
    from steerherd.model import Params
    from steerherd.model.costs import CallableCost, LinearCost, PowerCost, make_cost
    from steerherd.solution import Solution

    __version__: str

def __getattr__(name: str) -> Any:
    if name == "__version__":  # importlib.metadata costs ~10 ms: read on first use only
        globals()[name] = _version()
        return globals()[name]
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'steerherd' has no attribute {name!r}")


def _version() -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version("steerherd")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - a bare source tree
        return "unknown"


#: Modules that moved in the 0.2 layout: the old import path still works for one release and
#: warns (QuantEcon's shim pattern), so users' scripts keep running.
_MOVED = {
    "steerherd.costs": "steerherd.model.costs",
    "steerherd.agent_fit": "steerherd.agents.fit",
    "steerherd._solve": "steerherd.api",
    "steerherd.theorems": "steerherd.theory.theorems",
    "steerherd.verify": "steerherd.theory.verify",
    "steerherd.sensitivity": "steerherd.theory.sensitivity",
    "steerherd.sweep_store": "steerherd.sweep.store",
    "steerherd.sweep_report": "steerherd.sweep.report",
}


class _MovedModuleFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves an old module path as the module at its new path, with a DeprecationWarning."""

    _specs: dict[str, Any] = {}

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname not in _MOVED:
            return None
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec: Any) -> ModuleType:
        new = _MOVED[spec.name]
        warnings.warn(f"{spec.name} moved to {new}; import {new} instead",
                      DeprecationWarning, stacklevel=2)
        module = importlib.import_module(new)
        self._specs[new] = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run; undo the import system's relabelling of the module's spec."""
        module.__spec__ = self._specs[module.__name__]


if not any(isinstance(f, _MovedModuleFinder) for f in sys.meta_path):
    sys.meta_path.append(_MovedModuleFinder())
