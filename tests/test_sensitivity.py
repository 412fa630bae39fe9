"""Comparative statics: exact where the closed form is known, kinks flagged, errors refused."""

from __future__ import annotations

import pytest

from steerherd import CallableCost, LinearCost, ParameterError, Params, PowerCost
from steerherd.cli import main
from steerherd.theory.sensitivity import STEPS, sensitivity

GRID = {"beliefs": 401, "precisions": 101}


def by_key(derivs):  # type: ignore[no-untyped-def]
    return {(d.quantity, d.parameter): d for d in derivs}


def test_myopic_altruistic_derivatives_match_theorem_1() -> None:
    """t_M = k(1 − p)/C: dt_M/dk = 1 − p, dt_M/dp = −k; V(1/2) = −k(1 − p) under full."""
    p, k = 0.7, 0.5
    d = by_key(sensitivity(Params(planner="altruistic", p=p, delta=0.0, cost=LinearCost(k)),
                           parameters=("k", "p"), **GRID))
    assert d[("t_M", "k")].value == pytest.approx(1 - p, rel=1e-9)
    assert d[("t_M", "p")].value == pytest.approx(-k, rel=1e-9)
    assert d[("V(prior)", "k")].value == pytest.approx(-(1 - p), rel=1e-9)
    # d_A = t_M at δ = 0; the grid estimate is within its stated uncertainty.
    dak = d[("d_A", "k")]
    assert abs(dak.value - (1 - p)) <= dak.uncertainty
    assert not any(x.kink for x in d.values())


def test_kink_where_t_m_jumps_at_k_equal_c() -> None:
    d = by_key(sensitivity(Params(planner="altruistic", p=0.7, delta=0.0, cost=LinearCost(1.0)),
                           parameters=("k",), **GRID))
    assert d[("t_M", "k")].kink


def test_delta_at_zero_is_one_sided() -> None:
    d = by_key(sensitivity(Params(planner="biased", delta=0.0), parameters=("delta",), **GRID))
    v = d[("V(prior)", "delta")]
    assert v.left is None and v.right is not None and "one-sided" in v.note
    assert v.step == STEPS["delta"]


def test_errors() -> None:
    with pytest.raises(ParameterError, match="infinite-horizon"):
        sensitivity(Params(delta=1.0, horizon=4))
    with pytest.raises(ParameterError, match="parameter must be one of"):
        sensitivity(Params(), parameters=("C",), **GRID)
    cost = CallableCost(lambda x: x, name="mine")
    with pytest.raises(ParameterError, match="needs a linear or power cost"):
        sensitivity(Params(cost=cost), parameters=("k",), **GRID)


def test_cli_sensitivity(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    code = main(["solve", "--delta", "0", "--beliefs", "201", "--precisions", "51",
                 "--sensitivity", "--out", str(tmp_path), "--json", str(tmp_path / "s.json")])
    assert code == 0
    assert "sensitivity" in capsys.readouterr().out
    assert "sensitivity" in (tmp_path / "s.json").read_text()


@pytest.mark.parametrize("params", [
    Params(planner="altruistic", p=0.7, delta=0.9, cost=LinearCost(0.5), prior=0.3),
    Params(planner="biased", p=0.7, delta=0.8, cost=PowerCost(0.5, 0.5), prior=0.6),
], ids=["altruistic", "biased-power"])
def test_envelope_derivatives_match_finite_differences(params: Params) -> None:
    """Away from kinks the envelope-theorem derivative and the central difference agree to
    within the central difference's own error, bounded by half the one-sided disagreement."""
    d = by_key(sensitivity(params, parameters=("k", "delta"), **GRID))
    for name in ("k", "delta"):
        x = d[("V(prior)", name)]
        assert x.exact is not None and not x.kink
        bound = 0.5 * abs(x.right - x.left) + x.uncertainty + 1e-9
        assert abs(x.exact - x.value) <= bound, (name, x)
