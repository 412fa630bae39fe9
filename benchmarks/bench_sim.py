"""Benchmark: Monte Carlo agent decisions per second and exact statistics time for N = 200.

Run: ``python benchmarks/bench_sim.py [--runs R] [--agents N] [--workers W] [--repeat K]``.

"Decisions" counts R × N agent decisions per call, including those the simulator finishes in
closed form once a run is in a cascade (exact, see steerherd.sim.montecarlo); the rows with
policy "always 1" and the noisy agent never cascade, so every decision there is simulated.
Each figure is the best of ``--repeat`` calls (the machine is shared).

The peer rows run ``benchmarks/_plain_sim.py`` (a plain ~30-line vectorised numpy simulator
of Bayesian agents: all runs at once, no cascade shortcut) on the same policies, sizes and
state (ω from the prior), one after the other in this process; both count R × N decisions.
"stepped" is the share of them that steerherd simulates step by step (the rest it finishes in
closed form): on "always 1" nothing cascades, so that row compares the two step loops alone.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

import steerherd as sh
from steerherd.agents import Behavioral
from steerherd.model import Params
from steerherd.sim import simulate
from steerherd.sim.exact import exact_statistics

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._plain_sim import plain_simulate  # noqa: E402


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
    peer_rows(args, params, sol, sol_alt)
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


def peer_rows(args: argparse.Namespace, params: Params, sol: sh.Solution,
              sol_alt: sh.Solution) -> None:
    """steerherd against the plain numpy peer, Bayesian agents, ω from the prior."""
    n = args.runs * args.agents
    print(f"Against the plain numpy peer (benchmarks/_plain_sim.py), state prior, R={args.runs}, "
          f"N={args.agents}:")
    print("| policy | steerherd M/s | peer M/s | steerherd / peer | stepped |")
    print("|---|---|---|---|---|")
    unit = np.array([0.0, 1.0])
    cases = [("always 1 (no cascades)", "full", params, unit, np.array([1.0, 1.0])),
             ("baseline p", "baseline", params, unit, np.array([params.p, params.p])),
             ("biased optimum", sol, params, sol.grid.position, sol.q),
             ("altruistic optimum k=1.5", sol_alt, sol_alt.params, sol_alt.grid.position,
              sol_alt.q)]
    for label, policy, prm, tb, tq in cases:
        res = simulate(policy, prm, runs=args.runs, agents=args.agents, seed=1, state="prior")
        ctime = np.where(np.isnan(res.cascade_time), args.agents, res.cascade_time)
        simulated = float(ctime.sum())
        sec = best_of(args.repeat, lambda p=policy, m=prm: simulate(
            p, m, runs=args.runs, agents=args.agents, seed=1, state="prior"))
        peer = best_of(args.repeat, lambda m=prm, b=tb, q=tq: plain_simulate(
            b, q, m.p, m.C, m.delta, m.cost, args.runs, args.agents, m.prior, 1))
        print(f"| {label} | {n / sec / 1e6:.1f} | {n / peer / 1e6:.1f} | {peer / sec:.2f} | "
              f"{simulated / n:.3f} |")


if __name__ == "__main__":
    main()
