"""Data for the solution figures (value functions, policies): ``results/solutions.json``.

    python sims/solutions_data.py [--out results/solutions.json] [--quick]

Solves the altruistic planner for several δ and k, and the biased planner myopic and
forward-looking, at p = 0.7, C = 1, linear cost (the paper's numerical setting), and stores
each Solution's JSON with a label. ``--quick`` uses small grids (for CI).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

P = 0.7
VALUE_DELTAS = (0.0, 0.5, 0.8, 0.95)
VALUE_KS = (0.2, 0.5, 0.9)
POLICY_K = 0.5


def cases() -> list[tuple[str, str, dict[str, float]]]:
    """(figure key, label, parameters) for every solve."""
    out: list[tuple[str, str, dict[str, float]]] = []
    for delta in VALUE_DELTAS:
        out.append(("value_delta", f"δ = {delta}", {"planner": "altruistic", "delta": delta,
                                                     "k": POLICY_K}))
    for k in VALUE_KS:
        out.append(("value_k", f"k = {k}", {"planner": "altruistic", "delta": 0.9, "k": k}))
    for planner in ("altruistic", "biased"):
        out.append((f"{planner}_policy", "myopic (δ = 0)",
                    {"planner": planner, "delta": 0.0, "k": POLICY_K}))
        out.append((f"{planner}_policy", "forward-looking (δ = 0.9)",
                    {"planner": planner, "delta": 0.9, "k": POLICY_K}))
    return out


def main(argv: list[str] | None = None) -> Path:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("results/solutions.json"))
    ap.add_argument("--quick", action="store_true", help="small grids")
    args = ap.parse_args(argv)

    import steerherd as sh

    beliefs, precisions = (201, 51) if args.quick else (2001, 401)
    rows = []
    for key, label, c in cases():
        params = sh.Params(planner=c["planner"], p=P, delta=c["delta"], cost=sh.LinearCost(c["k"]))
        sol = sh.solve(params, beliefs=beliefs, precisions=precisions)
        rows.append({"figure": key, "label": label, "solution": sol.to_dict()})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"p": P, "beliefs": beliefs, "precisions": precisions,
                                    "quick": args.quick, "solutions": rows}))
    return args.out


if __name__ == "__main__":
    main()
