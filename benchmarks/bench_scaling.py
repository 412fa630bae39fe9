"""Time against the number of beliefs (fitted exponent) and peak memory at 20,001 beliefs.

Rows are measured side by side in one process; the exponent is the slope of log(time) on
log(nodes) by least squares. Memory is tracemalloc's peak (numpy and scipy buffers).

    python benchmarks/bench_scaling.py
    python benchmarks/bench_scaling.py --sizes 501 1001 2001 4001 --big 20001 --precisions 401
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

import steerherd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a plain script

from benchmarks._common import markdown, measure
from steerherd import Params, make_cost

COLS = ["solver", "beliefs", "precisions", "time_s", "peak_MiB", "iterations"]


def _solve(params: Params, beliefs: int, precisions: int, method: str, backend: str):  # type: ignore[no-untyped-def]
    return steerherd.solve(params, beliefs=beliefs, precisions=precisions, method=method,
                           backend=backend)


def main(argv: list[str] | None = None) -> None:
    """Print the table and the fitted exponents."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[501, 1001, 2001, 4001, 8001])
    ap.add_argument("--precisions", type=int, default=201)
    ap.add_argument("--big", type=int, default=20001)
    ap.add_argument("--big-precisions", type=int, default=401)
    ap.add_argument("--planner", choices=["altruistic", "biased"], default="altruistic")
    ap.add_argument("--jax", action="store_true", help="also the JAX backend (compile excluded)")
    args = ap.parse_args(argv)
    params = Params(planner=args.planner, p=0.7, delta=0.9, cost=make_cost("linear", k=0.5))
    solvers = [("numpy PI", "pi", "numpy"), ("numpy VI", "vi", "numpy")]
    if args.jax:
        solvers.append(("JAX MPI", "mpi", "jax"))
    rows, fits = [], []
    for label, method, backend in solvers:
        times = []
        for n in args.sizes:
            if backend == "jax":
                _solve(params, n, args.precisions, method, backend)  # compile for this shape
            sol, t, mem = measure(lambda n=n, m=method, b=backend: _solve(
                params, n, args.precisions, m, b))
            times.append(t)
            rows.append({"solver": label, "beliefs": n, "precisions": args.precisions,
                         "time_s": t, "peak_MiB": mem if backend == "numpy" else "n/a (XLA)",
                         "iterations": sol.certificate.iterations})
        slope = np.polyfit(np.log(args.sizes), np.log(times), 1)[0]
        fits.append(f"{label}: time ∝ beliefs^{slope:.2f}")
    sol, t, mem = measure(lambda: _solve(params, args.big, args.big_precisions, "pi", "numpy"))
    rows.append({"solver": "numpy PI", "beliefs": args.big, "precisions": args.big_precisions,
                 "time_s": t, "peak_MiB": mem, "iterations": sol.certificate.iterations})
    print(f"planner={params.planner} p=0.7 delta=0.9 linear k=0.5\n")
    print(markdown(rows, COLS))
    print("\nfitted over " + ", ".join(map(str, args.sizes)) + " beliefs: " + "; ".join(fits))


if __name__ == "__main__":
    main()
