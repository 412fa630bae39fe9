"""``steerherd simulate`` and the welfare table: outputs, definitions, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from steerherd.agents import Behavioral
from steerherd.cli import main
from steerherd.sim.welfare import WelfareConfig, ratio_se, welfare_table

SMALL = ["--runs", "400", "--agents", "15", "--beliefs", "201", "--precisions", "41"]


def test_simulate_writes_table_json_and_chart(tmp_path: Path,
                                              capsys: pytest.CaptureFixture) -> None:
    assert main(["simulate", *SMALL, "--out", str(tmp_path)]) == 0
    data = json.loads((tmp_path / "welfare.json").read_text())
    assert (tmp_path / "welfare.png").stat().st_size > 10_000
    cells = [r for r in data["rows"] if r["planner"] != "always 1"]
    assert len(cells) == 2 * 2 * 2 * 3
    assert {r["setting"] for r in cells} == {"analytical", "hybrid", "behavioral"}
    assert data["config"]["behavioral"]["w_disagree"] == 2.5
    assert "welfare %" in capsys.readouterr().out


def test_welfare_cells_follow_their_definitions() -> None:
    cfg = WelfareConfig(runs=3000, agents=20, beliefs=201, precisions=41,
                        behavioral=Behavioral(1.0, 0.7, 2.5))
    rows = welfare_table(cfg)["rows"]
    for r in rows:
        assert np.isfinite(r["loss_pct"]) and r["loss_pct_se"] >= 0
        base = r["baseline_welfare"]["mean"]
        assert r["loss_pct"] == pytest.approx(100 * r["mc"]["welfare"]["mean"] / base)
        assert r["spend_pct"] == pytest.approx(100 * r["mc"]["spend"]["mean"] / -base)
        if "exact" in r:  # Monte Carlo within 5 se of the exact loss ratio (or both 0)
            gap = abs(r["exact"]["loss_pct"] - r["loss_pct"])
            assert gap <= 5 * r["loss_pct_se"] + 1e-9
    # The altruistic planner never does worse than no control (MODEL.md §3).
    alt = [r for r in rows if r["planner"] == "altruistic" and r["setting"] == "analytical"]
    assert all(r["loss_pct"] <= 100 + 3 * r["loss_pct_se"] for r in alt)


def test_ratio_se_of_a_sample_with_itself_is_one_exactly() -> None:
    x = np.random.default_rng(0).normal(-3, 1, 500)
    assert ratio_se(x, x) == (1.0, 0.0)
    assert np.isnan(ratio_se(x, np.zeros(500))[0])


@pytest.mark.parametrize(
    "args, word",
    [(["--runs", "0"], "runs"), (["--agents", "0"], "agents"),
     (["--w-disagree", "-1"], "w_disagree"), (["--lam", "0"], "lam"),
     (["--p", "1.2"], "p must"), (["--delta", "1"], "delta")],
)
def test_bad_input_exits_2_with_one_line(args: list[str], word: str, tmp_path: Path,
                                         capsys: pytest.CaptureFixture) -> None:
    assert main(["simulate", *SMALL, *args, "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and word in err and "\n" not in err
    assert not (tmp_path / "x").exists()


def test_policy_table_rows_and_bad_tables(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"b": [0, 0.5, 1], "q": [0.7, 0.9, 0.7]}))
    assert main(["simulate", *SMALL, "--policy-table", str(good), "--out", str(tmp_path)]) == 0
    rows = json.loads((tmp_path / "welfare.json").read_text())["rows"]
    assert sum(r["planner"] == "table" for r in rows) == 4
    bad = tmp_path / "bad.json"
    for content, word in (({"b": [0.1, 1], "q": [0.7, 0.7]}, "cover"),
                          ({"b": [0, 1], "q": [0.7, 1.3]}, "precisions"),
                          ({"b": [0, 1]}, "must hold"), ("{", "not JSON")):
        bad.write_text(content if isinstance(content, str) else json.dumps(content))
        capsys.readouterr()
        assert main(["simulate", *SMALL, "--policy-table", str(bad),
                     "--out", str(tmp_path / "y")]) == 2
        err = capsys.readouterr().err.strip()
        assert word in err and "\n" not in err
    assert not (tmp_path / "y").exists()
