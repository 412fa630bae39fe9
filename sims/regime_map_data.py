"""Data for the regime maps (figure 4): the mode at each (belief, k) and (belief, δ).

    python sims/regime_map_data.py [--config FILE] [--quick] [--out results/regime_map.json]

For each planner of the [fig4] section of the figure config: k on an even grid at the
section's δ, and δ on an even grid at its k (other parameters from its defaults). The mode at
each belief of an even grid is read off each Solution (``Solution.mode``). Stamped (quick or
full, and the hash of the sections used).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import figure_config  # noqa: E402

SECTIONS = ("grid", "fig4")


def main(argv: list[str] | None = None) -> Path:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", type=Path, default=None, help="figure config TOML")
    ap.add_argument("--out", type=Path, default=Path("results/regime_map.json"))
    ap.add_argument("--quick", action="store_true", help="small grids")
    args = ap.parse_args(argv)

    import numpy as np

    import steerherd as sh

    config = figure_config.load(args.config)
    sec, size = config["fig4"], "quick" if args.quick else "full"
    grid = config["grid"][size]
    n_par = int(sec["points"][size])
    b = np.linspace(0.0, 1.0, int(sec["beliefs"][size]))
    defaults = sec["defaults"]
    maps = []
    for planner in sec["planners"]:
        for name in ("k", "delta"):
            values = np.linspace(float(sec[name]["lo"]), float(sec[name]["hi"]), n_par)
            modes = []
            for v in values:
                par = figure_config.params({"planner": planner, name: float(v)}, defaults)
                sol = sh.solve(par, beliefs=int(grid["beliefs"]),
                               precisions=int(grid["precisions"]))
                modes.append(sol.mode(b).tolist())
            fixed = {"k": defaults["delta"], "delta": defaults["k"]}[name]
            maps.append({"planner": planner, "parameter": name, "values": values.tolist(),
                         "fixed": {"delta" if name == "k" else "k": fixed},
                         "belief": b.tolist(), "mode": modes})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"stamp": figure_config.stamp(config, args.quick, *SECTIONS),
                                    "p": defaults["p"], "defaults": defaults,
                                    "quick": args.quick, "maps": maps}))
    return args.out


if __name__ == "__main__":
    main()
