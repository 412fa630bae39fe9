"""steerherd vs QuantEcon's DiscreteDP on the same discretisation (issue 2's benchmark).

Both solve the planner's problem on the same belief grid and candidate set (2001 beliefs ×
401 precisions plus the exact candidates). QuantEcon gets the sparse state-action-pair form
built from steerherd's transitions. Times are end to end: steerherd's includes building its
transitions; QuantEcon's includes building the same transitions, converting them to its
sparse form and constructing the DiscreteDP. Run:

    python benchmarks/bench_solve.py [--beliefs 2001] [--precisions 401] [--repeat 3]

Prints a markdown table. Timings are the best of ``--repeat`` runs in this one process.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a plain script

from benchmarks._common import sa_pairs  # noqa: E402
from steerherd import LinearCost, Params  # noqa: E402
from steerherd.dp.solve import build_problem, solve_problem  # noqa: E402

CASES = {
    "altruistic p=0.7 k=0.5 δ=0.9": Params(
        planner="altruistic", p=0.7, delta=0.9, cost=LinearCost(0.5)
    ),
    "biased p=0.7 k=0.5 δ=0.9": Params(planner="biased", p=0.7, delta=0.9, cost=LinearCost(0.5)),
    "altruistic p=0.6 k=0.2 δ=0.99": Params(
        planner="altruistic", p=0.6, delta=0.99, cost=LinearCost(0.2)
    ),
}


def steerherd_pi(params: Params, beliefs: int, precisions: int) -> np.ndarray:
    problem = build_problem(params, beliefs=beliefs, precisions=precisions)
    return solve_problem(problem, "pi").value


def quantecon_pi(params: Params, beliefs: int, precisions: int) -> np.ndarray:
    from quantecon.markov import DiscreteDP

    tr = build_problem(params, beliefs=beliefs, precisions=precisions).transitions
    s_idx, a_idx, r, q = sa_pairs(tr)
    ddp = DiscreteDP(r, q, tr.delta, s_idx, a_idx)
    return np.asarray(ddp.solve(method="policy_iteration").v)


def best_time(fn: Callable[[], np.ndarray], repeat: int) -> tuple[float, np.ndarray]:
    best, out = float("inf"), np.empty(0)
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--beliefs", type=int, default=2001)
    ap.add_argument("--precisions", type=int, default=401)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    quantecon_pi(CASES[next(iter(CASES))], 101, 11)  # warm numba's JIT outside the timing
    size = f"beliefs={args.beliefs}, precisions={args.precisions}+5 candidates"
    print(f"{size}, best of {args.repeat}\n")
    print("| case | steerherd PI (s) | QuantEcon PI (s) | speed-up | max abs ΔV |")
    print("|---|---:|---:|---:|---:|")
    for name, params in CASES.items():
        t_sh, v_sh = best_time(
            lambda p=params: steerherd_pi(p, args.beliefs, args.precisions), args.repeat
        )
        t_qe, v_qe = best_time(
            lambda p=params: quantecon_pi(p, args.beliefs, args.precisions), args.repeat
        )
        diff = float(np.abs(v_sh - v_qe).max())
        print(f"| {name} | {t_sh:.3f} | {t_qe:.3f} | {t_qe / t_sh:.1f}× | {diff:.1e} |")


if __name__ == "__main__":
    main()
