"""Benchmark: the JAX backend's defaults against numpy, one problem at a time, and the JAX
batch's resident memory by chunk size.

Run: ``python benchmarks/bench_jax_defaults.py [--beliefs 1001] [--precisions 201]`` (six
cases, best of 3, JAX compiled on a warm-up call first) and
``python benchmarks/bench_jax_defaults.py --memory CHUNK`` (peak RSS of one process that
solves 144 random altruistic problems in vmapped chunks of CHUNK; run once per chunk size,
since the peak of a process never goes down).
"""

from __future__ import annotations

import argparse
import functools
import resource
import time
from typing import Any

import numpy as np

import steerherd as sh

CASES = [("altruistic", 0.6, 0.2, 0.6), ("altruistic", 0.7, 0.5, 0.9),
         ("altruistic", 0.8, 3.0, 0.99), ("biased", 0.6, 0.2, 0.6), ("biased", 0.7, 0.5, 0.9),
         ("biased", 0.8, 3.0, 0.99)]


def best(fn: Any, k: int = 3) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(k):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def defaults(nb: int, nq: int) -> None:
    print(f"| case ({nb} x {nq}) | numpy default (fast) ms | numpy pi ms | jax default ms "
          "(iterations) | jax mpi_steps=20 ms (iterations) | max abs dV jax - pi |")
    print("|---|---|---|---|---|---|")
    fixed = sh.SolverOptions(mpi_steps=20)
    for planner, p, k, d in CASES:
        par = sh.Params(planner=planner, p=p, delta=d, cost=sh.LinearCost(k))
        run = functools.partial(sh.solve, par, beliefs=nb, precisions=nq)
        t_fast, _ = best(run)
        t_pi, ref = best(functools.partial(run, method="pi"))
        run(backend="jax")
        t_jax, sol = best(functools.partial(run, backend="jax"))
        t_20, s20 = best(functools.partial(run, backend="jax", options=fixed))
        dv = float(np.abs(sol.V - ref.V).max())
        print(f"| {planner[:4]} p={p} k={k} d={d} | {t_fast * 1e3:.0f} | {t_pi * 1e3:.0f} | "
              f"{t_jax * 1e3:.0f} ({sol.certificate.iterations}) | {t_20 * 1e3:.0f} "
              f"({s20.certificate.iterations}) | {dv:.1e} |", flush=True)


def memory(chunk: int) -> None:
    from steerherd.dp.jax_backend import solve_batch

    rng = np.random.default_rng(0)
    ps = [sh.Params(planner="altruistic", p=float(rng.uniform(0.55, 0.95)),
                    delta=float(rng.uniform(0, 0.95)),
                    cost=sh.LinearCost(float(rng.uniform(0.05, 2)))) for _ in range(144)]
    solve_batch(ps[:chunk], chunk=chunk or None)
    start = time.perf_counter()
    solve_batch(ps, chunk=chunk or None)
    wall = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"chunk={chunk or 'default'}: {wall / 144 * 1e3:.1f} ms per problem, "
          f"peak RSS {rss:.0f} MiB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--beliefs", type=int, default=1001)
    ap.add_argument("--precisions", type=int, default=201)
    ap.add_argument("--memory", type=int, default=None, help="chunk size (0: the default)")
    args = ap.parse_args()
    if args.memory is not None:
        memory(args.memory)
    else:
        defaults(args.beliefs, args.precisions)


if __name__ == "__main__":
    main()
