"""Type aliases shared across the package, the paper's names as literal types, and limits.

The literals (``Planner``, ``CostFamily``) are the one declaration of those names: every
config, CLI choice and loop over planners is built from them. They import nothing heavy, so
the CLI can build its choices without numpy; the numpy array aliases are made on first use.

The limits on a problem's grid live here with the checks that enforce them (each returns
the one-line message of the first problem, or None): :class:`steerherd.spec.ProblemSpec`
applies them when a spec is made, and the quick ``steerherd solve`` parser
(:mod:`steerherd.commands.solve_quick`) applies the same ones without importing pydantic.
The limits are arguments, so that the spec passes its own module constants, which users may
raise (the messages say how).
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

#: Grid limits: the belief grid is O(beliefs) memory for the structured solver and the
#: full reference solver stores beliefs × (precisions + 5) pairs at ~100 bytes each.
MAX_BELIEFS = 200_001
MAX_PRECISIONS = 20_001
MIN_BELIEFS = 11
MIN_PRECISIONS = 2
#: Both limits at once would need ~400 GB: the (belief, precision) pairs are bounded too.
MAX_GRID_PAIRS = 50_000_000
BYTES_PER_PAIR = 100


def grid_size_error(field: str, value: object, lo: int, hi: int) -> str | None:
    """What is wrong with a grid size (``field`` is "beliefs" or "precisions"), or None."""
    name = f"the number of {field}"
    if isinstance(value, bool) or not isinstance(value, int) or value < lo:
        return f"{name} must be a whole number >= {lo}, got {value!r}"
    if value > hi:
        return (f"{name} must be <= {hi:,}, got {value:,} (a larger grid needs more memory "
                f"than this check allows; solve in pieces or raise "
                f"steerherd.spec.MAX_{field.upper()})")
    return None


def problem_error(cost: str, alpha: float | None, beliefs: int, precisions: int,
                  horizon: int | None, max_pairs: int = MAX_GRID_PAIRS) -> str | None:
    """What is wrong with a cost's exponent or the grid's total size, or None.

    The grid sizes themselves are checked first, by :func:`grid_size_error`.
    """
    if cost == "power" and alpha is None:
        return "the power cost needs alpha in (0, 1] (e.g. --alpha 0.5)"
    if cost == "linear" and alpha is not None:
        return (f"alpha applies to the power cost only, got alpha = {alpha} with the linear "
                "cost (add --cost power, or drop alpha)")
    pairs = beliefs * (precisions + 5)  # + the 5 exact candidates
    if pairs > max_pairs:
        return (f"a grid of {beliefs:,} beliefs x {precisions:,} precisions has {pairs:,} "
                f"(belief, precision) pairs (~{pairs * BYTES_PER_PAIR / 2**30:.0f} GiB), more "
                f"than the limit {max_pairs:,}: use fewer beliefs or precisions, or raise "
                "steerherd.spec.MAX_GRID_PAIRS")
    if horizon is not None and horizon * beliefs > max_pairs:
        # backward induction keeps one policy row per (stage, belief)
        return (f"a horizon of {horizon:,} agents on {beliefs:,} beliefs keeps "
                f"{horizon * beliefs:,} (stage, belief) policy rows, more than the limit "
                f"{max_pairs:,}: use a shorter horizon or fewer beliefs, or raise "
                "steerherd.spec.MAX_GRID_PAIRS")
    return None


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


__all__ = ["COST_FAMILIES", "MAX_BELIEFS", "MAX_GRID_PAIRS", "MAX_PRECISIONS", "MAX_RUNS",
           "MAX_SWEEP_INSTANCES", "MIN_BELIEFS", "MIN_PRECISIONS", "PLANNERS", "ArrayLike",
           "BoolArray", "CostFamily", "FloatArray", "IntArray", "Planner", "grid_size_error",
           "problem_error"]
