"""The hard peers case in a fresh process, with and without glibc's thresholds held fixed.

``bench_peers.py`` solves after QuantEcon's large arrays have raised glibc's dynamic
allocation thresholds, so its solves fault no pages in. A user's fresh process has not:
glibc trims the heap after each solve and the next one would fault its fresh arrays in
again; the fast solver keeps its largest ones between solves
(:mod:`steerherd.dp.fast_buffers`), and this benchmark checks that the two rows agree.
Each row runs one fresh interpreter: two warm-up solves, then ``--solves`` timed ones, with
the minor page faults counted (``ru_minflt``) over the timed ones. The second row sets
``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TRIM_THRESHOLD_`` and ``MALLOC_TOP_PAD_`` for its
process (an experiment: steerherd does not set them). Rows alternate ``--rounds`` times.

Run: ``python benchmarks/bench_fresh_process.py [--solves 30] [--rounds 3]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

CHILD = """
import resource, sys, time
import steerherd
from steerherd import Params, SolverOptions, make_cost
params = Params(planner="biased", p=0.8, delta=0.99, cost=make_cost("linear", k=3.0))
opts = SolverOptions(epsilon=1e-10)
solve = lambda: steerherd.solve(params, beliefs=2001, precisions=401, options=opts)
solve(); solve()
n = int(sys.argv[1])
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
times = []
for _ in range(n):
    start = time.perf_counter(); solve(); times.append(time.perf_counter() - start)
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
times.sort()
print(f"{1e3 * times[0]:.2f} {1e3 * times[n // 2]:.2f} {faults / n:.0f}")
"""
FIXED = {"MALLOC_MMAP_THRESHOLD_": "33554432", "MALLOC_TRIM_THRESHOLD_": "134217728",
         "MALLOC_TOP_PAD_": "67108864"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--solves", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    root = str(Path(__file__).resolve().parents[1])
    base = {k: v for k, v in os.environ.items() if k not in FIXED}
    base["PYTHONPATH"] = root + os.pathsep + base.get("PYTHONPATH", "")
    print(f"load average {os.getloadavg()}; hard case (biased, p = 0.8, k = 3, δ = 0.99), "
          f"2001 x 401, numba kernel; {args.solves} solves a process after two warm-ups\n")
    print("| process | best ms | median ms | minor page faults a solve |\n|---|---|---|---|")
    for _ in range(args.rounds):
        for name, env in (("fresh (glibc's defaults)", base),
                          ("glibc thresholds fixed", {**base, **FIXED})):
            out = subprocess.run([sys.executable, "-c", CHILD, str(args.solves)], env=env,
                                 capture_output=True, text=True, check=True).stdout.split()
            print(f"| {name} | {out[0]} | {out[1]} | {out[2]} |")


if __name__ == "__main__":
    main()
