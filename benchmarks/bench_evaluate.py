"""The exact policy evaluation of the fast solver's hard case: numpy against compiled.

The hard case (biased planner, p = 0.8, k = 3 linear cost, δ = 0.99, 2001 × 401) is solved
once with the numba kernel while recording every exact evaluation it asks for (the cheap
try before the first sweep, with its step budget, and the final policy's evaluation, which
takes the double-double correction). Each is then timed with
:func:`steerherd.dp.evaluate.evaluate_rows` / ``try_evaluate_rows`` (numpy) and with
:func:`steerherd.dp.fast_numba_evaluate.evaluate_rows` (compiled), after checking that both
return the same bits. Needs numba. Quote ``uptime`` beside the figures.

    python benchmarks/bench_evaluate.py [--repeat 200]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("NUMBA_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a plain script

import numpy as np  # noqa: E402

from steerherd import Params, SolverOptions, make_cost  # noqa: E402
from steerherd.dp import evaluate as ev  # noqa: E402
from steerherd.dp import fast_numba_evaluate as fe  # noqa: E402
from steerherd.dp.fast import solve_fast  # noqa: E402

HARD = Params(planner="biased", p=0.8, delta=0.99, cost=make_cost("linear", k=3.0))


def _times(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """(min, median) wall microseconds of ``repeat`` calls after one warm-up call."""
    fn()
    ts = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - start)
    return float(np.min(ts)) * 1e6, float(np.median(ts)) * 1e6


def main(argv: list[str] | None = None) -> None:
    """Print one line per recorded evaluation."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=200)
    args = ap.parse_args(argv)
    calls: list[tuple[Any, int | None]] = []
    real = fe.evaluate_rows

    def record(rows: Any, delta: float, steps: int | None = None) -> Any:
        calls.append((rows, steps))
        return real(rows, delta, steps)

    fe.evaluate_rows = record  # type: ignore[assignment]
    try:
        solve_fast(HARD, 2001, 401, options=SolverOptions(epsilon=1e-10), kernel="numba")
    finally:
        fe.evaluate_rows = real  # type: ignore[assignment]
    delta = HARD.delta
    print(f"load average: {os.getloadavg()}; 2001 x 401, biased p=0.8 k=3 delta=0.99")
    for rows, steps in calls:
        def numpy_side(rows: Any = rows, steps: int | None = steps) -> Any:
            return (ev.evaluate_rows(rows, delta) if steps is None
                    else ev.try_evaluate_rows(rows, delta, steps))

        def compiled_side(rows: Any = rows, steps: int | None = steps) -> Any:
            return real(rows, delta, steps)

        a, b = numpy_side(), compiled_side()
        same = (a is None and b is None) or (a is not None and b is not None
                                             and bool(np.array_equal(a, b)))
        t_np, t_c = _times(numpy_side, args.repeat), _times(compiled_side, args.repeat)
        what = "evaluate_rows" if steps is None else f"try_evaluate_rows(steps={steps})"
        print(f"{what}: numpy min {t_np[0]:.0f} us (median {t_np[1]:.0f}), compiled min"
              f" {t_c[0]:.0f} us (median {t_c[1]:.0f}), {t_np[0] / t_c[0]:.1f}x;"
              f" result {'None' if a is None else 'V'}; same bits: {same}")


if __name__ == "__main__":
    main()
