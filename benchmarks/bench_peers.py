"""steerherd against QuantEcon's DiscreteDP on the same discretised problem, one process each.

QuantEcon's input is built by plain vectorised numpy from the model's formulas, as a user of
QuantEcon would write it (``benchmarks/_quantecon_input.py``), not from steerherd's
transitions; both sides get the same belief nodes and precision grid, so they solve one MDP
and their values are compared. Every side runs in this one process with one thread (the
thread variables below are set before numpy is imported). Reported per case:

* steerherd ``fast`` (the default), end to end (grid, candidates, solve, certificate);
* steerherd's full reference ``pi``: transition build and solve, and their sum;
* QuantEcon policy iteration: input build (+ DiscreteDP construction) and solve, and their sum;
* ratios QuantEcon end to end / steerherd fast, QuantEcon solve only / steerherd fast, full /
  fast; and max |ΔV| of fast and of QuantEcon against the full solver.

Times are the best of ``--repeat`` calls (wall clock); QuantEcon's numba functions are
compiled on a small warm-up first. Quote ``uptime`` beside any figure.

    python benchmarks/bench_peers.py                  # the six cases at 2001 x 401
    python benchmarks/bench_peers.py --large          # also 20,001 x 401: time, peak memory
    STEERHERD_KERNEL=numpy python benchmarks/bench_peers.py   # steerherd's numpy kernel
    python benchmarks/bench_peers.py --numba-costs    # import, cache-load and compile costs

steerherd's kernel is the default rule's (``steerherd.dp.fast_kernel.choose``: numba when
installed, at 2001 x 401) unless ``STEERHERD_KERNEL`` says otherwise; its one-off costs
(importing numba, loading the cached machine code, compiling with a cold cache) are not in
the per-solve times and are measured apart by ``--numba-costs``, in fresh processes.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a plain script

import steerherd  # noqa: E402
from benchmarks._common import markdown, measure  # noqa: E402
from benchmarks._quantecon_input import quantecon_input  # noqa: E402
from steerherd import Params, SolverOptions, make_cost  # noqa: E402
from steerherd.dp.grid import make_precision_grid  # noqa: E402
from steerherd.dp.solve import build_problem, solve_problem  # noqa: E402

EPSILON = 1e-10
#: The issue's six cases: (planner, p, k, delta).
CASES = (
    ("altruistic", 0.6, 0.2, 0.6), ("altruistic", 0.7, 0.5, 0.9), ("altruistic", 0.8, 3.0, 0.99),
    ("biased", 0.6, 0.2, 0.6), ("biased", 0.7, 0.5, 0.9), ("biased", 0.8, 3.0, 0.99),
)
COLS = ["case", "fast_ms", "full_build_ms", "full_solve_ms", "full_ms", "qe_build_ms",
        "qe_solve_ms", "qe_ms", "qe/fast", "qe_solve/fast", "full/fast", "dV_fast", "dV_qe"]


def _params(planner: str, p: float, k: float, delta: float) -> Params:
    return Params(planner=planner, p=p, delta=delta, cost=make_cost("linear", k=k))


def _quantecon_solve(params: Params, position: np.ndarray, side: np.ndarray,
                     q_grid: np.ndarray) -> tuple[object, float, float]:
    import quantecon as qe

    def build():  # type: ignore[no-untyped-def]
        s, a, r, q = quantecon_input(params.planner, params.p, params.C, params.cost,
                                     position, side, q_grid)
        return qe.markov.DiscreteDP(r, q, params.delta, s, a)

    ddp, t_build, _ = measure(build)
    res, t_solve, _ = measure(lambda: ddp.solve("policy_iteration"))
    return res, t_build, t_solve


def run_case(case: tuple[str, float, float, float], beliefs: int, precisions: int,
             repeat: int) -> dict[str, object]:
    """One case, every side; times in ms."""
    params = _params(*case)
    opts = SolverOptions(epsilon=EPSILON)
    fast, t_fast, _ = measure(lambda: steerherd.solve(params, beliefs=beliefs,
                                                      precisions=precisions, options=opts),
                              repeat)
    problem, t_build, _ = measure(lambda: build_problem(params, beliefs, precisions), repeat)
    full, t_solve, _ = measure(lambda: solve_problem(problem, "pi", opts), repeat)
    q_grid = make_precision_grid(params.q_min, precisions)
    res, qe_build, qe_solve = _quantecon_solve(params, problem.grid.position, problem.grid.side,
                                               q_grid)
    qe_total = qe_build + qe_solve
    return {
        "case": f"{case[0][:4]} p={case[1]} k={case[2]} d={case[3]}",
        "fast_ms": 1e3 * t_fast, "full_build_ms": 1e3 * t_build, "full_solve_ms": 1e3 * t_solve,
        "full_ms": 1e3 * (t_build + t_solve), "qe_build_ms": 1e3 * qe_build,
        "qe_solve_ms": 1e3 * qe_solve, "qe_ms": 1e3 * qe_total,
        "qe/fast": qe_total / t_fast, "qe_solve/fast": qe_solve / t_fast,
        "full/fast": (t_build + t_solve) / t_fast,
        "dV_fast": float(np.abs(fast.V - full.value).max()),
        "dV_qe": float(np.abs(np.asarray(res.v) - full.value).max()),  # type: ignore[attr-defined]
    }


def large(beliefs: int, precisions: int, full: bool) -> list[dict[str, object]]:
    """Time and peak traced memory of the fast solver (and optionally the full one)."""
    rows: list[dict[str, object]] = []
    for planner in ("altruistic", "biased"):
        params = _params(planner, 0.7, 0.5, 0.9)
        sol, t, peak = measure(lambda p=params: steerherd.solve(p, beliefs=beliefs,
                                                               precisions=precisions))
        row: dict[str, object] = {"planner": planner, "nodes": sol.grid.size,
                                  "fast_s": t, "fast_peak_MiB": peak}
        if full:
            ref, t, peak = measure(lambda p=params: steerherd.solve(
                p, beliefs=beliefs, precisions=precisions, method="pi"), repeat=1)
            row.update({"full_s": t, "full_peak_MiB": peak,
                        "dV": float(np.abs(ref.V - sol.V).max())})
        rows.append(row)
    return rows


def _warm_up() -> None:
    params = _params("biased", 0.7, 0.5, 0.9)
    problem = build_problem(params, 51, 11)
    _quantecon_solve(params, problem.grid.position, problem.grid.side,
                     make_precision_grid(params.q_min, 11))


_COSTS = """
import time
t0 = time.perf_counter()
import numba
t1 = time.perf_counter()
from steerherd import Params
from steerherd.dp.fast import solve_fast
p = Params(planner="biased", p=0.7, delta=0.9)
t2 = time.perf_counter()
solve_fast(p, 201, 41, kernel="numba")
t3 = time.perf_counter()
solve_fast(p, 201, 41, kernel="numba")
t4 = time.perf_counter()
print(f"{t1 - t0:.3f} {t3 - t2 - (t4 - t3):.3f}")
"""


def numba_costs() -> dict[str, object]:
    """import numba, then the first compiled solve less a second one: with the on-disk cache
    (warm) and with an empty cache directory (cold: compiling), each in a fresh process."""
    out: dict[str, object] = {}
    root = str(Path(__file__).resolve().parents[1])
    for label, env in (("warm cache", {}), ("cold cache", {"NUMBA_CACHE_DIR": ""})):
        with tempfile.TemporaryDirectory() as tmp:
            extra = {k: (v or tmp) for k, v in env.items()}
            res = subprocess.run([sys.executable, "-c", _COSTS], capture_output=True, text=True,
                                 env={**os.environ, "PYTHONPATH": root, **extra}, check=True)
        imp, first = res.stdout.split()
        out[f"import numba s ({label})"] = float(imp)
        out[f"first-call load/compile s ({label})"] = float(first)
    return out


def _geomean(xs: list[float]) -> float:
    return float(np.exp(np.mean(np.log(xs))))


def main(argv: list[str] | None = None) -> None:
    """Print the markdown tables."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--beliefs", type=int, default=2001)
    ap.add_argument("--precisions", type=int, default=401)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--large", action="store_true", help="also 20,001 beliefs (fast and full)")
    ap.add_argument("--large-only", action="store_true", help="only the 20,001-belief rows")
    ap.add_argument("--numba-costs", action="store_true",
                    help="only the numba import, cache-load and compile costs")
    args = ap.parse_args(argv)
    print(f"load average: {os.getloadavg()}; one process, one thread; epsilon={EPSILON}\n")
    if args.numba_costs:
        row = numba_costs()
        print(markdown([row], list(row)))
        return
    from steerherd.dp.fast_kernel import choose

    print(f"steerherd kernel at {args.beliefs} x {args.precisions}:"
          f" {choose('auto', args.beliefs, args.precisions)};"
          f" at 20,001 x {args.precisions}: {choose('auto', 20_001, args.precisions)}\n")
    if not args.large_only:
        _warm_up()
        rows = [run_case(c, args.beliefs, args.precisions, args.repeat) for c in CASES]
        print(f"{args.beliefs} beliefs x {args.precisions} precisions (+5 exact candidates)\n")
        print(markdown(rows, COLS))
        for col in ("qe/fast", "qe_solve/fast", "full/fast"):
            vals = [float(r[col]) for r in rows]  # type: ignore[arg-type]
            print(f"\n{col}: geometric mean {_geomean(vals):.1f}, min {min(vals):.1f}", end="")
        print("\n")
    if args.large or args.large_only:
        rows = large(20_001, args.precisions, full=True)
        print(f"20,001 beliefs x {args.precisions} precisions (peak: tracemalloc, numpy buffers)\n")
        print(markdown(rows, list(rows[0])))


if __name__ == "__main__":
    main()
