"""Benchmark: Monte Carlo agent decisions per second and exact statistics time for N = 200.

Run: ``python benchmarks/bench_sim.py [--runs R] [--agents N] [--workers W] [--repeat K]``.

"Decisions" counts R × N agent decisions per call, including those the simulator finishes in
closed form once a run is in a cascade (exact, see steerherd.sim.montecarlo); the rows with
policy "always 1" and the noisy agent never cascade, so every decision there is simulated.
Each figure is the best of ``--repeat`` calls (the machine is shared).
"""

from __future__ import annotations

import argparse
import time

import steerherd as sh
from steerherd.agents import Behavioral
from steerherd.model import Params
from steerherd.sim import simulate
from steerherd.sim.exact import exact_statistics


def best_of(repeat: int, fn):  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    params = Params(planner="biased", p=0.7, delta=0.9, cost=sh.LinearCost(0.5))
    sol = sh.solve(params)
    sol_alt = sh.solve(params.replace(planner="altruistic", cost=sh.LinearCost(1.5)))
    bayes, det, noisy = None, Behavioral(1.0, 0.7, 2.5), Behavioral(1.0, 0.7, 2.5, lam=0.5)
    cases = [
        ("baseline p", "baseline", bayes), ("always 1 (no cascades)", "full", bayes),
        ("biased optimum", sol, bayes), ("altruistic optimum k=1.5", sol_alt, bayes),
        ("baseline p", "baseline", det), ("biased optimum (hybrid)", sol, det),
        ("always 1", "full", noisy), ("biased optimum (hybrid)", sol, noisy),
    ]
    n = args.runs * args.agents
    print(f"Monte Carlo: R={args.runs} runs x N={args.agents} agents = {n:.2e} decisions, "
          f"workers={args.workers}, best of {args.repeat}")
    for label, policy, agent in cases:
        name = "bayesian" if agent is None else ("noisy" if agent.lam else "behavioral")
        sec = best_of(args.repeat, lambda p=policy, a=agent: simulate(
            p, params, agent=a, runs=args.runs, agents=args.agents, seed=1,
            workers=args.workers))
        print(f"  {label:28s} {name:10s} {sec:7.3f} s  {n / sec / 1e6:8.1f} M decisions/s")
    print("Exact statistics, N = 200 agents, state B:")
    for label, policy, agent in cases[:6]:
        name = "bayesian" if agent is None else "behavioral"
        try:
            res = exact_statistics(policy, params, agent=agent, agents=200, state="B")
        except sh.ParameterError as exc:
            print(f"  {label:28s} {name:10s} refused: {exc}")
            continue
        sec = best_of(args.repeat, lambda p=policy, a=agent: exact_statistics(
            p, params, agent=a, agents=200, state="B"))
        print(f"  {label:28s} {name:10s} {sec * 1e3:7.1f} ms  support <= {res.max_support}")


if __name__ == "__main__":
    main()
