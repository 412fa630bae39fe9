"""Where the time of ``steerherd solve``'s answer goes, step by step, in one process.

Runs the default ``steerherd solve --out DIR`` in this interpreter with timestamps around its
steps (imports, the parse, the solve, the table, the certified bounds, the JSON) and stops
before the PNG is drawn. The command line is a usual one, so it is parsed without typer and
pydantic (steerherd.commands.solve_quick). Run it in a fresh interpreter; quote ``uptime``
beside the figures:

    python benchmarks/cli_timeline.py            # one run; repeat it a few times
"""

from __future__ import annotations

import time

T0 = time.perf_counter()

import sys  # noqa: E402
import tempfile  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a plain script

MARKS: list[tuple[str, float]] = []


def mark(name: str) -> None:
    """Record the time since this script's first line."""
    MARKS.append((name, time.perf_counter() - T0))


def main() -> None:
    """Time the steps and print them as a markdown table."""
    import numpy  # noqa: F401

    mark("import numpy")
    import steerherd.api as api
    import steerherd.commands.solve_run as run

    mark("steerherd's solver modules")
    from steerherd import cli

    solve, summary, certify = api.solve, run._summary, run._certify

    def timed_solve(*a: Any, **k: Any) -> Any:
        mark("the parse (quick, no typer or pydantic) and the output checks")
        out = solve(*a, **k)
        mark("the solve")
        return out

    def timed_summary(*a: Any) -> None:
        summary(*a)
        mark("printing the table (the answer)")

    def timed_certify(*a: Any) -> None:
        certify(*a)
        mark("the certified bounds")

    def stop(*a: Any) -> None:
        mark("the JSON dict and its file")
        raise SystemExit(0)

    import steerherd

    with _patched(steerherd, "solve", timed_solve), _patched(run, "_summary", timed_summary), \
            _patched(run, "_certify", timed_certify), _patched(run, "_plot", stop), \
            tempfile.TemporaryDirectory() as out:
        sys.argv = ["steerherd", "solve", "--out", out]
        try:
            cli.run()
        except SystemExit:
            pass
    rows = ["| step | ms | since start, ms |", "|---|---|---|"]
    prev = 0.0
    for name, t in MARKS:
        rows.append(f"| {name} | {1e3 * (t - prev):.1f} | {1e3 * t:.1f} |")
        prev = t
    print("\n".join(rows), file=sys.stderr)


@contextmanager
def _patched(owner: Any, name: str, value: Any) -> Any:
    old = getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, old)


if __name__ == "__main__":
    main()
