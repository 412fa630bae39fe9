"""Type aliases shared across the package, and the paper's names as literal types.

The literals (``Planner``, ``CostFamily``) are the one declaration of those names: every
config, CLI choice and loop over planners is built from them. They import nothing heavy, so
the CLI can build its choices without numpy; the numpy array aliases are made on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, TypeAlias, get_args

#: The paper's two planners (MODEL.md §2).
Planner: TypeAlias = Literal["altruistic", "biased"]
PLANNERS: tuple[Planner, ...] = get_args(Planner)
#: Built-in cost families β(x) = k·x and k·x^α.
CostFamily: TypeAlias = Literal["linear", "power"]
COST_FAMILIES: tuple[CostFamily, ...] = get_args(CostFamily)

#: Work limits that are also CLI defaults (``--max-instances``, ``--max-runs``); they live
#: here, not in :mod:`steerherd.spec` (which re-exports them), so that the commands' help
#: does not import pydantic. A sweep solves each instance in ~0.05-1 s: 100,000 is a day's
#: work on one core. Monte Carlo keeps ~100 bytes per run per simulation: 10^7 runs ~1 GB.
MAX_SWEEP_INSTANCES = 100_000
MAX_RUNS = 10_000_000

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike, NDArray

    FloatArray: TypeAlias = NDArray[np.float64]
    IntArray: TypeAlias = NDArray[np.int64]
    BoolArray: TypeAlias = NDArray[np.bool_]

_ARRAY_ALIASES = ("ArrayLike", "BoolArray", "FloatArray", "IntArray")


def __getattr__(name: str) -> Any:
    """The numpy aliases, built when first imported (numpy loads only then)."""
    if name not in _ARRAY_ALIASES:
        raise AttributeError(f"module 'steerherd.types' has no attribute {name!r}")
    import numpy as np
    from numpy.typing import ArrayLike, NDArray

    aliases = {"ArrayLike": ArrayLike, "FloatArray": NDArray[np.float64],
               "IntArray": NDArray[np.int64], "BoolArray": NDArray[np.bool_]}
    globals().update(aliases)
    return aliases[name]


__all__ = ["COST_FAMILIES", "PLANNERS", "ArrayLike", "BoolArray", "CostFamily", "FloatArray",
           "IntArray", "Planner"]
