"""Time and peak memory of certified bounds on random instances (one subprocess each).

Usage: PYTHONPATH=. python benchmarks/bench_certify.py [N_PER_PLANNER] [TOL] [DELTA_MAX] [SEED]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np

CHILD = r"""
import json, resource, sys, time
from steerherd.model import Params
from steerherd.model.costs import LinearCost, PowerCost
from steerherd.dp.bounds.certify import certify
a = json.loads(sys.argv[1])
cost = LinearCost(a["k"]) if a["alpha"] is None else PowerCost(a["k"], a["alpha"])
par = Params(planner=a["planner"], p=a["p"], delta=a["delta"], cost=cost)
t = time.perf_counter()
try:
    b = certify(par, tol=a["tol"], max_seconds=a["limit"])
    out = {"gap": b.max_gap, "cells": b.stats["cells"], "ok": True}
except Exception as e:
    out = {"ok": False, "error": str(e)}
out["seconds"] = time.perf_counter() - t
out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def instances(n: int, tol: float, delta_max: float, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    out = []
    for planner in ("altruistic", "biased"):
        for i in range(n):
            out.append({"planner": planner, "p": round(float(rng.uniform(0.55, 0.9)), 4),
                        "k": round(float(rng.uniform(0.1, 3.0)), 4),
                        "delta": round(float(rng.uniform(0.0, delta_max)), 4),
                        "alpha": None if i % 2 == 0 else round(float(rng.uniform(0.4, 1.0)), 4),
                        "tol": tol, "limit": 60.0})
    return out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    tol = float(sys.argv[2]) if len(sys.argv) > 2 else 1e-3
    dmax = float(sys.argv[3]) if len(sys.argv) > 3 else 0.95
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    print(f"load average at start: {os.getloadavg()}", flush=True)
    summary: dict[str, list[dict]] = {}
    for a in instances(n, tol, dmax, seed):
        res = subprocess.run([sys.executable, "-c", CHILD, json.dumps(a)], capture_output=True,
                             text=True, check=False)
        line = res.stdout.strip().splitlines()[-1] if res.stdout.strip() else res.stderr[-300:]
        print(json.dumps(a), line, flush=True)
        try:
            summary.setdefault(a["planner"], []).append(json.loads(line))
        except json.JSONDecodeError:
            summary.setdefault(a["planner"], []).append({"ok": False, "seconds": float("nan"),
                                                         "peak_mb": float("nan")})
    for planner, rows in summary.items():
        ok = [r for r in rows if r.get("ok") and r["seconds"] <= 60.0]
        print(f"{planner}: {len(ok)}/{len(rows)} reached tol={tol:g} within 60 s; time"
              f" {min(r['seconds'] for r in rows):.1f}-{max(r['seconds'] for r in rows):.1f} s,"
              f" peak memory <= {max(r['peak_mb'] for r in rows):.0f} MB")
    print(f"load average at end: {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
