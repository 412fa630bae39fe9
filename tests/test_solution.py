"""Solution: JSON round trip, callables, regimes and thresholds."""

from __future__ import annotations

import json

import numpy as np
import pytest

import steerherd as sh
from steerherd import LinearCost, ParameterError, Params
from steerherd.solution import SOLUTION_KEYS


@pytest.fixture(scope="module")
def biased() -> sh.Solution:
    return sh.solve(Params(planner="biased", p=0.7, delta=0.9, cost=LinearCost(0.5)), beliefs=401)


def test_round_trip(tmp_path, biased) -> None:  # type: ignore[no-untyped-def]
    path = biased.save(tmp_path / "s.json")
    data = json.loads(path.read_text())
    assert set(SOLUTION_KEYS) <= set(data)
    again = sh.Solution.load(path)
    np.testing.assert_array_equal(again.V, biased.V)
    np.testing.assert_array_equal(again.modes, biased.modes)
    assert again.regimes == biased.regimes and again.thresholds == biased.thresholds
    np.testing.assert_array_equal(again.value([0.1, 0.5, 0.9]), biased.value([0.1, 0.5, 0.9]))


def test_finite_horizon_round_trip(tmp_path) -> None:  # type: ignore[no-untyped-def]
    sol = sh.solve(Params(delta=1.0, horizon=4), beliefs=101)
    assert sol.stage_precision.shape == (4, sol.grid.size)
    again = sh.Solution.load(sol.save(tmp_path / "f.json"))
    np.testing.assert_array_equal(again.stage_precision, sol.stage_precision)


def test_callables_agree_with_nodes(biased) -> None:  # type: ignore[no-untyped-def]
    interior = biased.grid.side == 0
    b = biased.belief[interior]
    np.testing.assert_allclose(biased.value(b), biased.V[interior], atol=1e-12)
    np.testing.assert_array_equal(biased.mode(b), biased.modes[interior])
    # The policy follows the regime formula: q = b on the obfuscation interval (as a limit).
    assert float(biased.policy(0.6)) == pytest.approx(0.6)
    assert str(biased.mode(0.6)) == "obfuscate"
    assert float(biased.policy(0.9)) == pytest.approx(0.7) and str(biased.mode(0.9)) == "baseline"


def test_regimes_cover_the_grid(biased) -> None:  # type: ignore[no-untyped-def]
    regimes = biased.regimes
    assert regimes[0].lo == 0.0 and regimes[-1].hi == 1.0
    assert all(r.lo <= r.hi for r in regimes)
    assert all(a.hi <= b.lo for a, b in zip(regimes, regimes[1:], strict=False))
    t1, t2 = biased.thresholds["t_1"], biased.thresholds["t_2"]
    assert t1 is not None and t1.lo <= t1.value <= t1.hi
    assert t2 is not None and 0.5 <= t2.value <= 0.7


def test_altruistic_thresholds_are_ordered() -> None:
    sol = sh.solve(Params(planner="altruistic", p=0.6, delta=0.8, cost=LinearCost(0.3)),
                   beliefs=801)
    th = sol.thresholds
    assert 0 < th["d_A"].value <= th["t_A"].value <= th["t_M"].value <= 0.5  # type: ignore[union-attr]


def test_load_errors(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ParameterError, match="no solution file"):
        sh.Solution.load(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ParameterError, match="is not JSON"):
        sh.Solution.load(bad)
    bad.write_text(json.dumps({"params": {}}))
    with pytest.raises(ParameterError, match="lacks keys"):
        sh.Solution.load(bad)
