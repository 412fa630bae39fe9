"""kill -9 of a process-pool sweep, N times: orphans left behind, rows lost or duplicated.

Each trial starts ``steerherd sweep CONFIG --workers W`` (a real process pool, not
``--serial``) into one store, waits until the pool is up and the store has grown, kills the
main process with SIGKILL, and counts the processes of that run still alive ``--settle``
seconds later (found by an environment tag, /proc; Linux only). A last run without a kill
then completes the sweep; the store must hold every instance exactly once.

    python benchmarks/bench_sweep_kill.py                 # 20 kills, 2 workers
    python benchmarks/bench_sweep_kill.py --kills 5 --workers 3
"""

from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # run as a plain script

from proc_helpers import kill_pool_sweep  # noqa: E402

CONFIG = ('method = "vi"\n[axes]\nplanner = ["altruistic", "biased"]\n'
          "p = [0.55, 0.575, 0.6, 0.625, 0.65, 0.675, 0.7, 0.725, 0.75, 0.775, 0.8, 0.825,"
          " 0.85, 0.875, 0.9]\nk = [0.2, 0.5, 1.0, 1.5]\ndelta = [0.9]\nbeliefs = [301]\n"
          "precisions = [61]\n")
INSTANCES = 2 * 15 * 4


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--settle", type=float, default=10.0, help="seconds to wait for exits")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        cfg, db = Path(tmp) / "kill.toml", Path(tmp) / "kill.sqlite"
        cfg.write_text(CONFIG)
        orphans, stored = [], []
        start = time.perf_counter()
        for trial in range(args.kills):
            rows, alive = kill_pool_sweep(cfg, db, workers=args.workers, after_rows=trial + 1,
                                          settle_s=args.settle)
            orphans.append(len(alive))
            stored.append(rows)
            print(f"kill {trial + 1:2d}: {rows:3d} rows stored at the kill, "
                  f"{len(alive)} orphan(s)", flush=True)
        subprocess.run([sys.executable, "-m", "steerherd", "sweep", str(cfg), "--db", str(db),
                        "--workers", str(args.workers)], check=True, capture_output=True)
        with sqlite3.connect(db) as con:
            total, distinct = con.execute(
                "SELECT COUNT(*), COUNT(DISTINCT key) FROM instances").fetchone()
    print(f"{args.kills} kill -9 of a {args.workers}-worker pool sweep: "
          f"{sum(orphans)} orphan processes in all (max {max(orphans)} per kill); "
          f"after a final run the store holds {total} rows, {distinct} distinct, of "
          f"{INSTANCES} instances; {time.perf_counter() - start:.0f} s")
    return 0 if sum(orphans) == 0 and total == distinct == INSTANCES else 1


if __name__ == "__main__":
    sys.exit(main())
