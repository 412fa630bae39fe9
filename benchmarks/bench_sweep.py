"""A 1,000-instance sweep several ways: JAX batch, numpy process pools (fast, full PI), QuantEcon.

The instances are a seeded random design (both planners, p, k, δ; linear cost) on 1001
beliefs × 201 precisions. The rows solve the same instances; agreement is reported as the
largest |ΔV(prior)| against the JAX rows and the number of instances whose regime sequence
differs. JAX's compilation is done on a warm-up chunk first and reported apart.

    python benchmarks/bench_sweep.py                    # 1000 instances, 2 workers
    python benchmarks/bench_sweep.py --instances 200 --skip quantecon
    python benchmarks/bench_sweep.py --skip jax jax-pool quantecon   # the two numpy pools
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a plain script

from benchmarks._common import markdown
from steerherd.sweep import SerialExecutor, open_executor, run_sweep, solve_chunk

COLS = ["path", "instances", "wall_s", "per_instance_ms", "max_abs_dV_prior", "regimes_differ",
        "note"]


def design(n: int, beliefs: int, precisions: int, seed: int) -> list[dict[str, object]]:
    """n random instances (the sweep's own instance format)."""
    from steerherd.sweep import SweepConfig, expand

    cfg = SweepConfig.model_validate({
        "design": "random", "samples": n, "seed": seed,
        "axes": {"planner": ["altruistic", "biased"], "p": {"low": 0.55, "high": 0.95},
                 "k": {"low": 0.05, "high": 2.0}, "delta": {"low": 0.0, "high": 0.95},
                 "beliefs": [beliefs], "precisions": [precisions]},
    })
    return expand(cfg)


def _warm_worker(shape: tuple[int, int, int]) -> None:
    chunk, beliefs, precisions = shape
    solve_chunk(design(chunk, beliefs, precisions, 99), "mpi", "jax")
    time.sleep(1.0)  # keep this worker busy so that the other one takes the next warm-up


def run_path(instances, executor, backend, method, chunk):  # type: ignore[no-untyped-def]
    rows: list[dict] = []
    start = time.perf_counter()
    run_sweep(instances, executor, rows.extend, method=method, backend=backend, chunk=chunk,
              in_flight=4)
    return {r["key"]: r["summary"] for r in rows}, time.perf_counter() - start


def quantecon_loop(instances):  # type: ignore[no-untyped-def]
    """A plain loop: QuantEcon DiscreteDP policy iteration on its own plain-numpy input."""
    import quantecon as qe

    from benchmarks._quantecon_input import quantecon_input
    from steerherd.dp.grid import make_belief_grid, make_precision_grid
    from steerherd.model import Params

    out = {}
    start = time.perf_counter()
    for inst in instances:
        params = Params.from_dict(inst["params"])
        g = inst["grid"]
        grid = make_belief_grid(g["beliefs"], (1.0 - params.p, 0.5, params.p))
        s, a, r, q = quantecon_input(params.planner, params.p, params.C, params.cost,
                                     grid.position, grid.side,
                                     make_precision_grid(params.q_min, g["precisions"]))
        res = qe.markov.DiscreteDP(r, q, params.delta, s, a).solve("policy_iteration")
        lo, lam = grid.locate(np.array([params.prior]))
        v = np.append(res.v, 0.0)
        value = (1 - lam[0]) * v[lo[0]] + lam[0] * v[lo[0] + 1]
        out[inst["key"]] = {"value_at_prior": float(value)}
    return out, time.perf_counter() - start


def compare(ref: dict, got: dict) -> tuple[float, object]:
    dv = max(abs(ref[k]["value_at_prior"] - got[k]["value_at_prior"]) for k in ref)
    if not all("regimes" in got[k] for k in ref):
        return dv, "n/a"
    differ = sum([r["mode"] for r in ref[k]["regimes"]] != [r["mode"] for r in got[k]["regimes"]]
                 for k in ref)
    return dv, differ


def main(argv: list[str] | None = None) -> None:
    """Print the markdown table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instances", type=int, default=1000)
    ap.add_argument("--beliefs", type=int, default=1001)
    ap.add_argument("--precisions", type=int, default=201)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--chunk", type=int, default=50, help="instances per JAX batch")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip", nargs="*", default=[],
                    choices=["jax", "jax-pool", "fast-pool", "dask", "pool", "quantecon"])
    args = ap.parse_args(argv)
    from steerherd.commands.sweep import TASK_CHUNK  # here: the workers re-import this script

    inst = design(args.instances, args.beliefs, args.precisions, args.seed)
    rows, results = [], {}
    if "jax" not in args.skip:
        t0 = time.perf_counter()
        solve_chunk(inst[:args.chunk], "mpi", "jax")  # compile (one shape per planner grid)
        compile_s = time.perf_counter() - t0
        results["jax"], wall = run_path(inst, SerialExecutor(), "jax", "mpi", args.chunk)
        rows.append({"path": "JAX batch (vmap, MPI, x64), in process", "wall_s": wall,
                     "note": f"chunks of {args.chunk}; warm-up chunk (compile) {compile_s:.1f} s"})
    if "jax-pool" not in args.skip:
        with open_executor(workers=args.workers) as pool:
            shape = (args.chunk, args.beliefs, args.precisions)
            list(pool.map(_warm_worker, [shape] * args.workers))  # compile in each worker
            results["jax-pool"], wall = run_path(inst, pool, "jax", "mpi", args.chunk)
        rows.append({"path": f"JAX batch in a process pool ({args.workers} workers)",
                     "wall_s": wall, "note": "each worker compiled before the clock starts"})
    if "fast-pool" not in args.skip:
        with open_executor(workers=args.workers) as pool:
            results["fast-pool"], wall = run_path(inst, pool, "numpy", "fast", TASK_CHUNK)
        from steerherd.dp.fast_kernel import numba_installed

        kernel = "numba" if numba_installed() else "numpy"
        rows.append({"path": f"fast (default), process pool ({args.workers} workers)",
                     "wall_s": wall,
                     "note": f"candidate-set PI, certified to 1e-10; {kernel} kernel"})
    if "dask" not in args.skip:

        with open_executor(dask="local") as client:
            run_path(inst[:20], client, "numpy", "fast", TASK_CHUNK)  # start the workers
            results["dask"], wall = run_path(inst, client, "numpy", "fast", TASK_CHUNK)
        rows.append({"path": "numpy fast, Dask LocalCluster (2 workers)", "wall_s": wall,
                     "note": f"{TASK_CHUNK} instances a task (the CLI's default)"})
    if "pool" not in args.skip:
        with open_executor(workers=args.workers) as pool:
            results["pool"], wall = run_path(inst, pool, "numpy", "pi", TASK_CHUNK)
        rows.append({"path": f"numpy PI, process pool ({args.workers} workers)", "wall_s": wall,
                     "note": "policy iteration, certified to 1e-10"})
    if "quantecon" not in args.skip:
        results["quantecon"], wall = quantecon_loop(inst)
        rows.append({"path": "plain loop: QuantEcon DiscreteDP PI", "wall_s": wall,
                     "note": "its own plain-numpy input; one process"})
    ref = results.get("jax") or next(iter(results.values()))
    for row, res in zip(rows, results.values(), strict=True):
        dv, differ = compare(ref, res)
        row.update({"instances": len(inst), "per_instance_ms": 1000 * row["wall_s"] / len(inst),
                    "max_abs_dV_prior": dv, "regimes_differ": differ})
    print(f"{len(inst)} instances (seed {args.seed}; both planners, p~U(0.55,0.95), k~U(0.05,2),"
          f" delta~U(0,0.95), linear cost), {args.beliefs} beliefs x {args.precisions} precisions,"
          f" {os.cpu_count()} CPUs\n")
    print(f"load average {os.getloadavg()}\n")
    print(markdown(rows, COLS))


if __name__ == "__main__":
    main()
