"""Data for the solution figures (1-3): value functions, policies, the Theorem 2 kink.

    python sims/solutions_data.py [--config FILE] [--quick] [--out results/solutions.json]

Solves every case of the [fig1], [fig2] and [fig3] sections of the figure config
(``paper_figures/figures.toml`` by default) on the [grid.full] or [grid.quick] grid and
stores each Solution's JSON with its figure key and label. For fig1's Theorem 2
counterexample it also stores the convexity check (``steerherd.theory.check_convexity``) and,
where the solver offers them (``Solution.bounds``), certified bounds on V* near the kink.
The output is stamped (quick or full, and the hash of the sections it was computed from).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import figure_config  # noqa: E402

SECTIONS = ("grid", "fig1", "fig2", "fig3")


def cases(config: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """(figure key, label, Params) for every solve."""
    out: list[tuple[str, str, Any]] = []
    f1 = config["fig1"]
    for planner in ("altruistic", "biased"):
        for case in f1["curves"]:
            par = figure_config.params(case | {"planner": planner}, f1.get("defaults"))
            out.append((f"value_{planner}", figure_config.label(par), par))
    for key, name in (("fig2", "altruistic_policy"), ("fig3", "biased_policy")):
        sec = config[key]
        for case in sec["curves"]:
            par = figure_config.params(case, sec.get("defaults"))
            horizon = "myopic" if par.delta == 0 else "forward-looking"
            out.append((name, f"{horizon} (δ = {par.delta:g})", par))
    return out


def _bounds(sol: Any, b: Any) -> dict[str, list[float]] | None:
    """Certified bounds on V* at beliefs b, where the solver provides ``Solution.bounds``."""
    if not hasattr(sol, "bounds"):
        return None
    res = sol.bounds(b)
    lo, hi = (res.lower, res.upper) if hasattr(res, "lower") else res
    return {"belief": [float(x) for x in b], "lower": [float(x) for x in lo],
            "upper": [float(x) for x in hi]}


def main(argv: list[str] | None = None) -> Path:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", type=Path, default=None, help="figure config TOML")
    ap.add_argument("--out", type=Path, default=Path("results/solutions.json"))
    ap.add_argument("--quick", action="store_true", help="small grids")
    args = ap.parse_args(argv)

    import numpy as np

    import steerherd as sh
    from steerherd.theory import check_convexity

    config = figure_config.load(args.config)
    grid = config["grid"]["quick" if args.quick else "full"]
    beliefs, precisions = int(grid["beliefs"]), int(grid["precisions"])
    rows = []
    for key, label, par in cases(config):
        sol = sh.solve(par, beliefs=beliefs, precisions=precisions)
        rows.append({"figure": key, "label": label, "solution": sol.to_dict()})
    par = figure_config.params(config["fig1"]["counterexample"],
                               config["fig1"].get("defaults"))
    sol = sh.solve(par, beliefs=beliefs, precisions=precisions)
    check = check_convexity(sol)
    kink = 1.0 - par.p
    counter = {"figure": "counterexample", "label": figure_config.label(par, ("p", "k", "delta")),
               "solution": sol.to_dict(),
               "convexity": {"passed": bool(check.passed), "margin": float(check.margin),
                             **{k: v for k, v in check.details.items()}},
               "kink": kink,
               "bounds": _bounds(sol, np.linspace(max(kink - 0.08, 0), kink + 0.08, 161))}
    rows.append(counter)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "stamp": figure_config.stamp(config, args.quick, *SECTIONS),
        "beliefs": beliefs, "precisions": precisions, "quick": args.quick,
        "solutions": rows}, default=float))
    return args.out


if __name__ == "__main__":
    main()
