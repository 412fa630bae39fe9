"""Data for the regime maps: the mode at each (belief, k) and (belief, δ).

    python sims/regime_map_data.py [--out results/regime_map.json] [--quick]

For both planners at p = 0.7, C = 1, linear cost: k on a grid at δ = 0.9, and δ on a grid at
k = 0.5. The mode at each belief of an even grid is read off each Solution (``Solution.mode``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

P = 0.7


def main(argv: list[str] | None = None) -> Path:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("results/regime_map.json"))
    ap.add_argument("--quick", action="store_true", help="small grids")
    args = ap.parse_args(argv)

    import steerherd as sh

    n_par, beliefs, precisions = (8, 201, 41) if args.quick else (48, 1001, 201)
    b = np.linspace(0.0, 1.0, 401 if not args.quick else 101)
    axes = {"k": np.linspace(0.02, 1.2, n_par), "delta": np.linspace(0.0, 0.98, n_par)}
    maps = []
    for planner in ("altruistic", "biased"):
        for name, values in axes.items():
            modes = []
            for v in values:
                kw = {"delta": 0.9, "k": 0.5} | {name: float(v)}
                params = sh.Params(planner=planner, p=P, delta=kw["delta"],
                                   cost=sh.LinearCost(kw["k"]))
                sol = sh.solve(params, beliefs=beliefs, precisions=precisions)
                modes.append(sol.mode(b).tolist())
            maps.append({"planner": planner, "parameter": name, "values": values.tolist(),
                         "belief": b.tolist(), "mode": modes})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"p": P, "quick": args.quick, "maps": maps}))
    return args.out


if __name__ == "__main__":
    main()
