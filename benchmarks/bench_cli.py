"""When does ``steerherd solve`` answer? Against ``python -c "import numpy"``, same machine.

Issue 11's target: the default ``steerherd solve`` prints its table and writes its JSON in
at most twice the time of ``python -c "import numpy"``. A reader process starts each command
with unbuffered output (as on a terminal) and timestamps its lines:

* ``table``: the line ``V(prior = ...)`` that ends the grid answer (summary and regimes);
* ``json``: the line ``wrote .../solution.json`` (printed after the JSON is written, and
  after the certified bounds, which go into the JSON);
* ``exit``: the process ends (the PNG is drawn after the answer);

``solve --json -`` (the JSON on stdout, no PNG), ``--help`` and ``solve --help`` are timed
to their exit. The CPU rows (user + system time of the process, to its exit) depend less
on the machine's load than wall time does. Rounds interleave the commands, so they share
the machine's load; the load average is printed beside the table.

Run: ``python benchmarks/bench_cli.py [--rounds 7]``. ``--tree DIR`` (repeatable) times
the steerherd source tree at DIR instead (PYTHONPATH), interleaved with the other trees.

Bytecode: a pip-installed package is byte-compiled; a checkout run with
PYTHONDONTWRITEBYTECODE=1 (as on the team's machines) recompiles every steerherd module on
every start. The trees are byte-compiled first unless ``--source`` is given.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _command() -> list[str]:
    """The console script next to this interpreter (no pyenv shim), else ``python -m``."""
    script = Path(sys.executable).with_name("steerherd")
    return [str(script)] if script.exists() else [sys.executable, "-m", "steerherd"]


def _timed(argv: list[str], cwd: str, marks: dict[str, str], tree: str | None = None
           ) -> dict[str, float]:
    """Seconds from start to each mark's first line, and to the exit."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    if tree is not None:
        env["PYTHONPATH"] = tree
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    got: dict[str, float] = {}
    assert proc.stdout is not None
    for line in proc.stdout:
        now = time.perf_counter() - start
        for name, prefix in marks.items():
            if name not in got and line.startswith(prefix):
                got[name] = now
    err = proc.stderr.read() if proc.stderr else ""
    proc.wait()
    got["exit"] = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    got["cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}): {err.strip()}")
    missing = set(marks) - set(got)
    if missing:
        raise SystemExit(f"{' '.join(argv)}: no line for {sorted(missing)}")
    return got


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--tree", action="append", default=None,
                    help="a steerherd source tree to time (repeatable) [default: as imported]")
    ap.add_argument("--source", action="store_true",
                    help="do not byte-compile the trees first")
    args = ap.parse_args()
    cli = _command()
    trees: list[str | None] = list(args.tree) if args.tree else [None]
    if not args.source:
        import compileall

        import steerherd

        for tree in trees:
            root = Path(tree) / "steerherd" if tree else Path(steerherd.__file__).parent
            compileall.compile_dir(str(root), quiet=1)
    rows: dict[str, list[float]] = {}

    def add(name: str, value: float) -> None:
        rows.setdefault(name, []).append(value)

    work = tempfile.mkdtemp(prefix="bench_cli_")
    load_before = os.getloadavg()
    try:
        for _ in range(args.rounds):
            t = _timed([sys.executable, "-c", "import numpy"], work, {})
            add("python -c 'import numpy'", t["exit"])
            add("python -c 'import numpy' (CPU)", t["cpu"])
            for tree in trees:
                tag = f" [{tree}]" if len(trees) > 1 else ""
                t = _timed([*cli, "solve"], work, {"table": "V(prior", "json": "wrote "}, tree)
                add(f"steerherd solve: table printed{tag}", t["table"])
                add(f"steerherd solve: JSON written{tag}", t["json"])
                add(f"steerherd solve: exit (PNG drawn){tag}", t["exit"])
                t = _timed([*cli, "solve", "--json", "-"], work, {"json": "{"}, tree)
                add(f"steerherd solve --json -: JSON printed{tag}", t["json"])
                add(f"steerherd solve --json - (CPU, to exit){tag}", t["cpu"])
                add(f"steerherd --help{tag}", _timed([*cli, "--help"], work, {}, tree)["exit"])
                add(f"steerherd solve --help{tag}",
                    _timed([*cli, "solve", "--help"], work, {}, tree)["exit"])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load_after = os.getloadavg()
    base = statistics.median(rows["python -c 'import numpy'"])
    base_cpu = statistics.median(rows["python -c 'import numpy' (CPU)"])
    print(f"command: {' '.join(cli)}; {args.rounds} rounds; "
          f"{'source, no bytecode' if args.source else 'bytecode compiled'}; load average "
          f"(1, 5, 15 min) {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f} "
          f"before, {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f} after")
    print("| what | median s | min s | max s | median ÷ import numpy (CPU ÷ CPU) |")
    print("|---|---|---|---|---|")
    for name, vals in rows.items():
        med = statistics.median(vals)
        ref = base_cpu if "(CPU" in name else base
        print(f"| {name} | {med:.3f} | {min(vals):.3f} | {max(vals):.3f} | {med / ref:.2f} |")


if __name__ == "__main__":
    main()
