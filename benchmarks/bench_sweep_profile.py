"""CPU per instance of the sweep benchmark's instances, in one process (a worker's view).

Solves the first N instances of ``bench_sweep.py``'s design (1001 × 201, seed 0) with
``solve_chunk`` as a pool worker does (solve and the stored summary), after a warm-up chunk
that loads the kernels, and prints wall and CPU time per instance; ``--profile KEY`` adds a
cProfile listing sorted by KEY (``cumulative``, ``tottime``).

    python benchmarks/bench_sweep_profile.py 300
    python benchmarks/bench_sweep_profile.py 300 --profile tottime
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a plain script

from benchmarks.bench_sweep import design  # noqa: E402
from steerherd.sweep import solve_chunk  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    """Print the per-instance times (and optionally a profile)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("instances", type=int, nargs="?", default=300)
    ap.add_argument("--profile", metavar="KEY", default=None)
    args = ap.parse_args(argv)
    inst = design(max(args.instances, 8), 1001, 201, 0)
    solve_chunk(inst[:8], "fast", "numpy")  # warm-up: imports and the compiled kernels
    part = inst[:args.instances]
    wall, cpu = time.perf_counter(), time.process_time()
    solve_chunk(part, "fast", "numpy")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{len(part)} instances: {1e3 * wall / len(part):.2f} ms wall,"
          f" {1e3 * cpu / len(part):.2f} ms CPU an instance; load {os.getloadavg()}")
    if args.profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        solve_chunk(part, "fast", "numpy")
        prof.disable()
        pstats.Stats(prof).sort_stats(args.profile).print_stats(30)


if __name__ == "__main__":
    main()
