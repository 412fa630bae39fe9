"""The default ``steerherd solve`` answers before importing anything heavy (issue 11).

Each case runs the command in a fresh interpreter and lists the heavy packages that are in
``sys.modules`` when the answer is complete: when the PNG starts to be drawn (the table,
the certified bounds and ``solution.json`` are out by then), or at exit for ``--json -``.
Not a timing test: a lazy import made eager again fails it on any machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

#: scipy (the sparse LU, ~0.15 s), matplotlib (~0.5 s with savefig), numba (~0.4 s) never
#: belong before the answer; rich (~40 ms) is not used by ``solve``'s default output; typer
#: and pydantic (~90 ms with typer's option adapters and the spec's models) are left to
#: command lines that the quick parser does not take.
HEAVY = ("scipy", "matplotlib", "numba", "rich", "typer", "pydantic")

_RUNNER = """
import json, sys
import steerherd.commands.solve_run as command
seen = {}
real_plot = command._plot
def plot(data, path):
    seen["json_written"] = (path.parent / "solution.json").exists()
    seen["heavy"] = sorted({m.split(".")[0] for m in sys.modules} & set(HEAVY))
    real_plot(data, path)
    seen["drawn"] = path.exists()
command._plot = plot
from steerherd.cli import main
code = main(ARGS)
seen.setdefault("heavy", sorted({m.split(".")[0] for m in sys.modules} & set(HEAVY)))
print("RESULT", json.dumps({"code": code, **seen}))
"""


def _run(args: list[str], cwd: Path) -> dict[str, object]:
    code = f"HEAVY = {HEAVY!r}\nARGS = {args!r}\n" + _RUNNER
    proc = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True,
                          text=True, check=True)
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
    result: dict[str, object] = json.loads(line.removeprefix("RESULT "))
    return result


def test_default_solve_answers_before_heavy_imports(tmp_path: Path) -> None:
    got = _run(["solve", "--out", str(tmp_path / "out")], tmp_path)
    assert got["code"] == 0
    assert got["json_written"] is True  # the answer is complete when drawing starts
    assert got["heavy"] == [], f"imported before the answer: {got['heavy']}"
    assert got["drawn"] is True  # the PNG is still drawn, after the answer


def test_json_to_stdout_imports_nothing_heavy(tmp_path: Path) -> None:
    got = _run(["solve", "--json", "-"], tmp_path)
    assert got["code"] == 0 and "json_written" not in got  # no PNG asked for
    assert got["heavy"] == [], f"imported: {got['heavy']}"


def test_a_hard_problem_still_solves_through_the_lu(tmp_path: Path) -> None:
    """δ = 0.99, biased: the contraction would be slow or rounding-limited, so the sparse LU
    is imported then (the fallback is lazy, not removed)."""
    got = _run(["solve", "--planner", "biased", "--delta", "0.99", "--k", "3", "--p", "0.8",
                "--beliefs", "201", "--precisions", "41", "--tol", "50", "--json", "-"],
               tmp_path)
    assert got["code"] == 0 and "scipy" in got["heavy"]
