"""``steerherd solve``'s printed answer (a plain-text table, no rich) and its JSON files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from steerherd.cli import main
from steerherd.commands.solve_run import _table


def test_table_has_the_heavy_head_box() -> None:
    lines = _table("regimes", ("mode", "q*"), [("full", "1"), ("baseline", "p")])
    assert lines == [
        "regimes          ",
        "┏━━━━━━━━━━┳━━━━┓",
        "┃ mode     ┃ q* ┃",
        "┡━━━━━━━━━━╇━━━━┩",
        "│ full     │ 1  │",
        "│ baseline │ p  │",
        "└──────────┴────┘",
    ]


def test_table_wraps_a_long_cell_to_80_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    long = "1-b + 0 (limit from above, not attained)"
    lines = _table("regimes", ("mode", "beliefs", "q*", "q range"),
                   [("escape", "[0.0020, 0.3000]", long, "0.7000–0.9980")])
    assert max(len(line) for line in lines) == 80
    body = [line for line in lines if line.startswith("│")]
    assert len(body) == 2  # the formula wraps at a space onto a second line
    assert " ".join(line.split("│")[3].strip() for line in body) == long


def test_finite_horizon_writes_its_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                        ) -> None:
    out = tmp_path / "out"
    assert main(["solve", "--horizon", "4", "--delta", "1", "--beliefs", "101",
                 "--precisions", "21", "--out", str(out), "--json", str(tmp_path / "x.json")]
                ) == 0
    text = capsys.readouterr().out
    assert "certified bounds" in text and "certified thresholds" not in text
    data = json.loads((out / "solution.json").read_text())
    assert data["params"]["horizon"] == 4 and data["bounds"]["regimes"] is None
    assert json.loads((tmp_path / "x.json").read_text()) == data  # --json: the same answer
    assert (out / "solution.png").stat().st_size > 1000
