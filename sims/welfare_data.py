"""Data for the welfare figure (Behavioral agents as the non-Bayesian population).

    python sims/welfare_data.py [--config FILE] [--quick] [--out results/welfare.json]

The welfare table of ``steerherd simulate`` at the [fig5] simulation parameters of the
figure config (by default p = 0.7, k = 0.5, δ = 0.9 for the forward-looking planner, linear
cost, C = 1, Behavioral(1, 0.7, 2.5)): analytical (optimal policy, Bayesian agents), hybrid
(the same policy, Behavioral agents) and the policy solved for the Behavioral agents, for
both planners, myopic and forward-looking, ω = B and ω = G, in the one row shape of
``steerherd.sim.summaries`` (welfare and expenditure as % of the baseline's welfare) with
standard errors from paired runs. Stamped (quick or full, and the hash of [fig5]).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import figure_config  # noqa: E402

SECTIONS = ("fig5",)


def main(argv: list[str] | None = None) -> Path:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", type=Path, default=None, help="figure config TOML")
    ap.add_argument("--out", type=Path, default=Path("results/welfare.json"))
    ap.add_argument("--quick", action="store_true", help="few runs, a small grid")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    from steerherd.agents import Behavioral
    from steerherd.sim.welfare import WelfareConfig, welfare_table

    config = figure_config.load(args.config)
    sec = config["fig5"]
    sim = dict(sec["simulation"])
    agent = Behavioral(float(sim.pop("w_prior")), float(sim.pop("w_agree")),
                       float(sim.pop("w_disagree")))
    size = {k: int(v) for k, v in sec["quick" if args.quick else "full"].items()}
    table = welfare_table(WelfareConfig(seed=args.seed, behavioral=agent,
                                        **{k: float(v) for k, v in sim.items()}, **size))
    table["stamp"] = figure_config.stamp(config, args.quick, *SECTIONS)
    table["min_runs"], table["state"] = int(sec["min_runs"]), str(sec["state"])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(table, default=float))
    return args.out


if __name__ == "__main__":
    main()
