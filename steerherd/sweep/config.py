"""Sweep designs: the TOML config, its validation, and the instances it expands to.

A TOML config names the design and its axes::

    design = "grid"            # or "random" (then: samples = N)
    seed = 0                   # random draws; stored with the sweep
    method = "fast"            # numpy solver: fast | pi | vi | mpi (pi/vi/mpi: full reference)
    backend = "numpy"          # or "jax" (batched, vmapped)
    [axes]
    planner = ["altruistic", "biased"]
    p = [0.6, 0.7, 0.8]        # a list, or for a random design {low = 0.55, high = 0.95}
    k = [0.25, 0.5]
    delta = [0.0, 0.9]
    cost = ["linear"]          # linear | power (alpha applies to power only)
    horizon = ["inf"]          # or whole numbers (finite horizon, numpy only)
    beliefs = [1001]
    precisions = [201]

:mod:`steerherd.sweep.run` solves the instances; this module is the only part of a sweep
that needs pydantic, so the workers that solve never import it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from steerherd.errors import ParameterError
from steerherd.files import read_toml, validate
from steerherd.spec import MAX_SWEEP_INSTANCES, CostFamily, Planner, describe_error, parse_spec

AXES = ("planner", "p", "k", "delta", "cost", "alpha", "C", "horizon", "prior", "beliefs",
        "precisions")


class Range(BaseModel):
    """A continuous range for a random design (uniform, or log-uniform)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    low: float
    high: float
    log: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.low > self.high:
            raise ValueError(f"low must be <= high, got low = {self.low}, high = {self.high}")
        if self.log and self.low <= 0:
            raise ValueError(f"a log range needs low > 0, got low = {self.low}")
        return self


Num = list[float] | Range


class Axes(BaseModel):
    """The values of each parameter (lists; ranges in a random design)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @field_validator("p", "k", "delta", "alpha", "C", "prior", mode="before")
    @classmethod
    def _range(cls, value: Any) -> Any:
        """A table is a Range: its own error, not the list alternative's."""
        if not isinstance(value, dict):
            return value
        try:
            return Range.model_validate(value)
        except ValidationError as exc:
            raise ValueError(describe_error(exc)) from None
    planner: list[Planner] = ["altruistic"]
    p: Num = [0.7]
    k: Num = [0.5]
    delta: Num = [0.9]
    cost: list[CostFamily] = ["linear"]
    alpha: Num = [0.5]
    C: Num = [1.0]
    horizon: list[int | Literal["inf"]] = ["inf"]
    prior: Num = [0.5]
    beliefs: list[int] = [1001]
    precisions: list[int] = [201]


class SweepConfig(BaseModel):
    """A sweep: its design, solver and axes."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    name: str = "sweep"
    design: Literal["grid", "random"] = "grid"
    samples: int | None = Field(default=None, ge=1)
    seed: int = Field(default=0, ge=0)
    method: Literal["fast", "vi", "pi", "mpi"] = "fast"
    backend: Literal["numpy", "jax"] = "numpy"
    epsilon: float = Field(default=1e-10, gt=0)
    axes: Axes = Axes()


def load_config(path: str | Path) -> SweepConfig:
    """Read and validate a sweep config.

    Raises:
        ParameterError: one line naming the file and the first problem.
    """
    path = Path(path)
    cfg = validate(SweepConfig, read_toml(path, "sweep config"), path)
    if cfg.design == "random" and cfg.samples is None:
        raise ParameterError(f"{str(path)!r}: a random design needs samples = N")
    if cfg.design == "grid":
        ranged = [a for a in AXES if isinstance(getattr(cfg.axes, a), Range)]
        if ranged:
            raise ParameterError(f"{str(path)!r}: axes {ranged} are ranges; a grid design"
                                 " needs lists (or use design = \"random\")")
    return cfg


def design_size(cfg: SweepConfig) -> int:
    """Number of design points before duplicates are removed (no point is made)."""
    if cfg.design == "random":
        return cfg.samples or 0
    return math.prod(len(getattr(cfg.axes, a)) for a in AXES)


def expand(cfg: SweepConfig, max_instances: int = MAX_SWEEP_INSTANCES) -> list[dict[str, Any]]:
    """The sweep's instances, validated, duplicates (same key) removed, in design order.

    Args:
        cfg: the sweep.
        max_instances: refuse a design with more points than this, before making any.

    Raises:
        ParameterError: for an empty axis, an empty or too large design or an invalid
            combination (the first bad point is named, with its values).
    """
    from steerherd.sweep.store import instance_key

    for name in AXES:
        value = getattr(cfg.axes, name)
        if isinstance(value, list) and not value:
            raise ParameterError(f"axis {name!r} is empty: give at least one value")
    size = design_size(cfg)
    if size > max_instances:
        what = "samples" if cfg.design == "random" else "the grid design has"
        raise ParameterError(f"{what} {size:,} points, more than the limit {max_instances:,} "
                             "(raise it with --max-instances N, or split the sweep)")
    points = _grid_points(cfg) if cfg.design == "grid" else _random_points(cfg)
    seen: dict[str, dict[str, Any]] = {}
    for point in points:
        inst = make_instance(point, cfg.epsilon)
        seen.setdefault(instance_key(inst), inst)
    if not seen:
        raise ParameterError("the sweep design is empty")
    return [{"key": k, **v} for k, v in seen.items()]


def _grid_points(cfg: SweepConfig) -> Iterator[dict[str, Any]]:
    lists = [getattr(cfg.axes, a) for a in AXES]
    for combo in itertools.product(*lists):
        yield dict(zip(AXES, combo, strict=True))


def _random_points(cfg: SweepConfig) -> Iterator[dict[str, Any]]:
    rng = np.random.default_rng(cfg.seed)
    for _ in range(cfg.samples or 0):
        point = {}
        for name in AXES:
            axis = getattr(cfg.axes, name)
            if isinstance(axis, Range):
                lo, hi = (math.log(axis.low), math.log(axis.high)) if axis.log else (axis.low,
                                                                                      axis.high)
                x = float(rng.uniform(lo, hi))
                point[name] = math.exp(x) if axis.log else x
            else:
                point[name] = axis[int(rng.integers(len(axis)))]
        yield point


def make_instance(point: dict[str, Any], epsilon: float) -> dict[str, Any]:
    """Params and grid of one design point, validated as a :class:`~steerherd.spec.ProblemSpec`.

    Raises:
        ParameterError: naming the point's values and the first problem.
    """
    fields = {k: point[k] for k in ("planner", "p", "k", "delta", "cost", "C", "horizon",
                                    "prior", "beliefs", "precisions")}
    if point["cost"] == "power":
        fields["alpha"] = point["alpha"]
    shown = ", ".join(f"{k}={_short(v)}" for k, v in fields.items())
    spec = parse_spec(fields, source=f"design point ({shown})")
    grid = {"beliefs": spec.beliefs, "precisions": spec.precisions, "epsilon": float(epsilon)}
    return {"params": spec.params().to_dict(), "grid": grid}


def _short(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)
