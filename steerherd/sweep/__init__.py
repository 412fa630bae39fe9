"""Parameter sweeps: config, execution (process pool, JAX batch, Dask), store, report.

Names are loaded on first use (PEP 562): a pool or Dask worker that imports
:func:`steerherd.sweep.run.solve_chunk` does not import the config's pydantic models.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from steerherd.sweep.config import (
        AXES,
        Axes,
        Num,
        Range,
        SweepConfig,
        expand,
        load_config,
        make_instance,
    )
    from steerherd.sweep.run import (
        DASK_CONNECT_TIMEOUT_S,
        SerialExecutor,
        open_executor,
        run_sweep,
        solve_chunk,
        summarise,
    )

_CONFIG = ("AXES", "Axes", "Num", "Range", "SweepConfig", "expand", "load_config",
           "make_instance")
_RUN = ("DASK_CONNECT_TIMEOUT_S", "SerialExecutor", "open_executor", "run_sweep", "solve_chunk",
        "summarise")

__all__ = [
    "AXES",
    "Axes",
    "DASK_CONNECT_TIMEOUT_S",
    "Num",
    "Range",
    "SerialExecutor",
    "SweepConfig",
    "expand",
    "load_config",
    "make_instance",
    "open_executor",
    "run_sweep",
    "solve_chunk",
    "summarise",
]


def __getattr__(name: str) -> Any:
    if name in _CONFIG:
        return getattr(import_module("steerherd.sweep.config"), name)
    if name in _RUN:
        return getattr(import_module("steerherd.sweep.run"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
