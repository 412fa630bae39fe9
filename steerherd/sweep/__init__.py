"""Parameter sweeps: config, execution (process pool, JAX batch, Dask), store, report."""

from steerherd.sweep.run import (
    AXES,
    DASK_CONNECT_TIMEOUT_S,
    Axes,
    Num,
    Range,
    SerialExecutor,
    SweepConfig,
    expand,
    load_config,
    make_instance,
    open_executor,
    run_sweep,
    solve_chunk,
    summarise,
)

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
