"""steerherd verify: a small seeded sweep, its report, its exit codes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from steerherd import LinearCost, ParameterError, Params
from steerherd.cli import main
from steerherd.theory.verify import check_instance, sample_params, summarise


def test_small_sweep_writes_a_consistent_report(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "report.json"
    code = main(["verify", "--instances", "20", "--seed", "3", "--beliefs", "201",
                 "--precisions", "51", "--json", str(path)])
    report = json.loads(path.read_text())
    assert report["instances"] == 20 and report["seed"] == 3
    assert code == (1 if report["genuine_violations"] or report["errors"] else 0)
    rows = report["theorems"]
    assert set(rows) == {"thm1", "thm2", "thm3", "thm4", "thm5"}
    # Every instance has Thm 2+3 (altruistic) or Thm 5 (biased); δ = 0 ones also 1 or 4.
    assert rows["thm3"]["checked"] + rows["thm5"]["checked"] == 20
    assert rows["thm2"]["checked"] == rows["thm3"]["checked"]
    for f in report["findings"]:
        assert f["kind"] in ("violation", "artefact") and "p" in f["params"]
    found = sum(r["violations"] + r["artefacts"] for r in rows.values())
    assert found == len(report["findings"])


def test_sampling_is_seeded_and_in_range() -> None:
    a = sample_params(50, np.random.default_rng(1))
    b = sample_params(50, np.random.default_rng(1))
    assert [x.to_dict() for x in a] == [x.to_dict() for x in b]
    assert all(0.55 <= x.p <= 0.95 and 0 <= x.delta <= 0.95 for x in a)
    assert any(x.delta == 0.0 for x in a) and {x.cost.name for x in a} == {"linear", "power"}


def test_a_failure_that_vanishes_on_refinement_is_an_artefact() -> None:
    """Classification: status() reads the refined check for every failure."""
    from steerherd.theory.theorems import TheoremResult
    from steerherd.theory.verify import InstanceReport

    bad = TheoremResult("thm2", False, -1e-3)
    rep = InstanceReport(Params(), (bad,), {"thm2": TheoremResult("thm2", True, 1e-9)})
    assert rep.status("thm2") == "artefact" and rep.status("thm5") is None
    summary = summarise([rep])
    assert summary["theorems"]["thm2"]["artefacts"] == 1
    assert summary["genuine_violations"] == 0 and summary["findings"][0]["kind"] == "artefact"


def test_known_finding_is_reported_with_parameters() -> None:
    params = Params(planner="altruistic", p=0.6447, delta=0.0894, cost=LinearCost(1.6125))
    report = check_instance(params, beliefs=201, precisions=51)
    assert report.status("thm2") == "violation"
    finding = summarise([report])["findings"][0]
    assert finding["params"]["k"] == 1.6125 and finding["shrinking"] is False


@pytest.mark.parametrize("args, message", [
    (["--instances", "0"], "number of instances"),
    (["--beliefs", "5"], "--beliefs must be >= 11"),
    (["--seed", "-1"], "--seed must be >= 0"),
])
def test_bad_input_exits_2(args: list[str], message: str, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["verify", *args]) == 2
    assert message in capsys.readouterr().err


def test_sample_params_refuses_a_bad_count() -> None:
    with pytest.raises(ParameterError, match="whole number >= 1"):
        sample_params(-1, np.random.default_rng(0))
