r"""Cost families β for moving the precision away from the baseline p.

The planner pays β(|q − p|) per agent. The paper asks for β non-negative, increasing,
continuous and concave with β(0) = 0; its numerical work uses the linear cost β(x) = k·x.

=========  ===========================  ============================
family     β(x)                         allowed parameters
=========  ===========================  ============================
linear     k·x                          k ≥ 0
power      k·x^α                        k ≥ 0, 0 < α ≤ 1
callable   any user function            checked on a grid (see below)
=========  ===========================  ============================

A user callable is checked on a grid of [0, 1]: β(0) = 0, β ≥ 0 and β non-decreasing are
required; a cost that is not concave is accepted with a warning, because Theorems 1 and 3
assume concavity and may then fail (that is a finding, not an error).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from steerherd.errors import ParameterError
from steerherd.model.tolerances import COST_CHECK_TOL  # noqa: F401  (the table of tolerances)
from steerherd.types import ArrayLike, FloatArray

#: Grid on which a user cost is checked for β(0) = 0, sign, monotonicity and concavity.
_CHECK_GRID = np.linspace(0.0, 1.0, 1001)
_CHECK_TOL = COST_CHECK_TOL


@runtime_checkable
class Cost(Protocol):
    """A cost β: vectorised, β(0) = 0, non-negative and non-decreasing on [0, 1]."""

    @property
    def name(self) -> str:
        """Short family name."""
        ...

    def __call__(self, x: ArrayLike) -> FloatArray:
        """β at the distances ``x`` = |q − p|, elementwise."""
        ...

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description: the family and its parameters."""
        ...


@dataclass(frozen=True)
class LinearCost:
    """β(x) = k·x.

    >>> float(LinearCost(k=2.0)(0.25))
    0.5
    """

    k: float = 1.0
    name: str = field(default="linear", init=False)

    def __post_init__(self) -> None:
        _check_number("k", self.k, lo=0.0)

    def __call__(self, x: ArrayLike) -> FloatArray:
        """k·x, elementwise."""
        return self.k * np.asarray(x, dtype=np.float64)

    def to_dict(self) -> dict[str, Any]:
        """``{"family": "linear", "k": k}``."""
        return {"family": "linear", "k": self.k}


@dataclass(frozen=True)
class PowerCost:
    """β(x) = k·x^α with 0 < α ≤ 1 (concave).

    >>> float(PowerCost(k=1.0, alpha=0.5)(0.25))
    0.5
    """

    k: float = 1.0
    alpha: float = 0.5
    name: str = field(default="power", init=False)

    def __post_init__(self) -> None:
        _check_number("k", self.k, lo=0.0)
        _check_number("alpha", self.alpha)
        if not 0.0 < self.alpha <= 1.0:
            raise ParameterError(
                f"alpha must be in (0, 1] (a concave power cost), got {self.alpha}"
            )

    def __call__(self, x: ArrayLike) -> FloatArray:
        """k·x^α, elementwise."""
        return self.k * np.power(np.asarray(x, dtype=np.float64), self.alpha)

    def to_dict(self) -> dict[str, Any]:
        """``{"family": "power", "k": k, "alpha": α}``."""
        return {"family": "power", "k": self.k, "alpha": self.alpha}


@dataclass(frozen=True, eq=False)
class CallableCost:
    """A user-supplied cost, checked on a grid of [0, 1] when it is made.

    Raises:
        ParameterError: if β(0) ≠ 0, β < 0 somewhere, or β decreases somewhere on the grid.

    Warns:
        UserWarning: if β is not concave on the grid (Theorems 1 and 3 assume concavity).
    """

    fn: Callable[[FloatArray], ArrayLike]
    name: str = "callable"

    def __post_init__(self) -> None:
        values = np.asarray(self.fn(_CHECK_GRID), dtype=np.float64)
        if values.shape != _CHECK_GRID.shape or not np.all(np.isfinite(values)):
            raise ParameterError(
                f"cost {self.name!r} must map an array of distances in [0, 1] to finite values"
                " of the same shape"
            )
        if abs(values[0]) > _CHECK_TOL:
            raise ParameterError(f"cost {self.name!r} must have beta(0) = 0, got {values[0]:.3g}")
        if values.min() < -_CHECK_TOL:
            x_bad = _CHECK_GRID[int(values.argmin())]
            raise ParameterError(f"cost {self.name!r} must be >= 0, beta({x_bad:.3g}) < 0")
        step = np.diff(values)
        if step.min() < -_CHECK_TOL:
            x_bad = _CHECK_GRID[int(step.argmin())]
            raise ParameterError(
                f"cost {self.name!r} must be non-decreasing; it falls at x={x_bad:.3g}"
            )
        if np.diff(step).max() > 1e-9 * max(1.0, float(np.abs(values).max())):
            warnings.warn(
                f"cost {self.name!r} is not concave on [0, 1]; Theorems 1 and 3 assume a concave"
                " cost and may not hold",
                UserWarning,
                stacklevel=3,
            )

    def __call__(self, x: ArrayLike) -> FloatArray:
        """The user function at ``x``, as a float64 array."""
        return np.asarray(self.fn(np.asarray(x, dtype=np.float64)), dtype=np.float64)

    def to_dict(self) -> dict[str, Any]:
        """``{"family": "callable", "name": name}`` (the function itself cannot be stored)."""
        return {"family": "callable", "name": self.name}


COST_FAMILIES = ("linear", "power")


def make_cost(family: str = "linear", k: float = 1.0, alpha: float | None = None) -> Cost:
    """Build a cost from its family name and parameters (what the CLI and configs use).

    Raises:
        ParameterError: for an unknown family or a parameter out of range.
    """
    if family == "linear":
        if alpha is not None and alpha != 1.0:
            raise ParameterError(
                f"alpha applies to the power cost only, got alpha={alpha} with linear"
            )
        return LinearCost(k=k)
    if family == "power":
        return PowerCost(k=k, alpha=0.5 if alpha is None else alpha)
    raise ParameterError(f"cost must be one of {list(COST_FAMILIES)}, got {family!r}")


def cost_from_dict(data: dict[str, Any]) -> Cost:
    """Inverse of ``Cost.to_dict`` for the built-in families.

    Raises:
        ParameterError: for a user callable (its code is not stored) or an unknown family.
    """
    family = data.get("family")
    if family == "linear":
        return LinearCost(k=float(data["k"]))
    if family == "power":
        return PowerCost(k=float(data["k"]), alpha=float(data["alpha"]))
    if family == "callable":
        raise ParameterError(
            f"cost {data.get('name')!r} was a user callable and cannot be rebuilt from JSON;"
            " pass the function again"
        )
    raise ParameterError(f"cost family must be one of {list(COST_FAMILIES)}, got {family!r}")


def _check_number(name: str, value: float, lo: float | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ParameterError(f"{name} must be a finite number, got {value!r}")
    if lo is not None and value < lo:
        raise ParameterError(f"{name} must be >= {lo:g}, got {value}")
