"""Data for the welfare figure (Behavioral agents as the non-Bayesian population).

    python sims/welfare_data.py [--out results/welfare.json] [--quick]

The welfare table of ``steerherd simulate`` at the paper's setting (p = 0.7, k = 0.5, δ = 0.9
for the forward-looking planner, linear cost, C = 1): analytical (optimal policy, Bayesian
agents), hybrid (the same policy, Behavioral agents) and the policy solved for the Behavioral
agents, for both planners, myopic and forward-looking, ω = B and ω = G, with standard errors
from paired runs (common random numbers) and exact values where they exist.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def main(argv: list[str] | None = None) -> Path:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("results/welfare.json"))
    ap.add_argument("--quick", action="store_true", help="few runs, a small grid")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    from steerherd.sim.welfare import WelfareConfig, welfare_table

    size = ({"runs": 2_000, "agents": 30, "beliefs": 201, "precisions": 51} if args.quick
            else {"runs": 20_000, "agents": 100, "beliefs": 1001, "precisions": 201})
    table = welfare_table(WelfareConfig(seed=args.seed, **size))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(table, default=float))
    return args.out


if __name__ == "__main__":
    main()
