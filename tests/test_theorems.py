"""Theorem checks: pass where the theorems hold, catch planted violations, refuse misuse."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from steerherd import CallableCost, LinearCost, ParameterError, Params, PowerCost, solve
from steerherd.structure import (
    _thresholds_by_roots,
    myopic_biased_policy,
    myopic_biased_thresholds,
    myopic_biased_value,
)
from steerherd.theory.theorems import (
    applicable,
    check,
    check_all,
    check_convexity,
    check_myopic_biased,
    convexity_tolerance,
)
from steerherd.theory.verify import check_instance

GRID = {"beliefs": 201, "precisions": 51}


def convex_cost() -> CallableCost:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the warning is the point of the plant
        return CallableCost(lambda x: 2.0 * x**2, name="convex")


@pytest.mark.parametrize("planner", ["altruistic", "biased"])
@pytest.mark.parametrize("delta", [0.0, 0.6, 0.9])
def test_theorems_hold_for_moderate_linear_costs(planner: str, delta: float) -> None:
    sol = solve(Params(planner=planner, p=0.7, delta=delta, cost=LinearCost(0.5)), **GRID)
    results = check_all(sol)
    assert {r.theorem for r in results} == set(applicable(sol))
    for r in results:
        assert r.passed, (r.theorem, r.margin, r.details)


def test_planted_violation_convex_cost_is_reported_not_raised() -> None:
    """A convex β makes the myopic altruistic optimum interior: Theorems 1 and 3 fail."""
    sol = solve(Params(planner="altruistic", p=0.6, delta=0.0, cost=convex_cost()), **GRID)
    res = {r.theorem: r for r in check_all(sol)}
    assert not res["thm3"].passed and res["thm3"].margin < 0
    assert res["thm3"].details["modes_out_of_order"] == ["other"]
    assert not res["thm1"].passed and res["thm1"].details["policy_mismatches"] > 0
    report = check_instance(sol.params, beliefs=101, precisions=41)
    assert report.error is None
    assert report.status("thm3") == "violation" and report.status("thm1") == "violation"


def test_convexity_fails_at_one_minus_p_for_linear_k_above_c() -> None:
    """A finding (docs/theory.md): V_A* has a concave kink at b = 1 − p when k > C, stable
    under grid refinement; its size is about k − C (slopes)."""
    params = Params(planner="altruistic", p=0.8712, delta=0.3314, cost=LinearCost(1.8525))
    coarse = check_convexity(solve(params, beliefs=401, precisions=101))
    fine = check_convexity(solve(params, beliefs=1601, precisions=401))
    assert not coarse.passed and not fine.passed
    assert abs(fine.margin - coarse.margin) < 0.01 * abs(coarse.margin)
    # The altruistic problem is symmetric in b <-> 1 - b: the kinks at 1 - p and p have the
    # same margin up to rounding (~1e-13 apart), so which one is "worst" is the rounding of
    # the policy evaluation; both must fail.
    worst = fine.details["worst_at_belief"]
    assert min(abs(worst - params.p), abs(worst - (1 - params.p))) < 1e-9
    failing = np.asarray(fine.details["failing_beliefs"])
    assert all(np.abs(failing - b).min() < 1e-9 for b in (params.p, 1 - params.p))


def test_convexity_tolerance_is_tiny_for_a_converged_solve() -> None:
    sol = solve(Params(delta=0.9), **GRID)
    assert 0 < convexity_tolerance(sol) < 1e-10


@pytest.mark.parametrize("cost", [LinearCost(0.3), LinearCost(1.5), PowerCost(0.78, 0.5),
                                  PowerCost(0.3, 0.3)], ids=repr)
def test_myopic_biased_closed_form_equals_solve(cost: LinearCost | PowerCost) -> None:
    params = Params(planner="biased", p=0.9, delta=0.0, cost=cost)
    sol = solve(params, beliefs=801, precisions=51)
    res = check_myopic_biased(sol)
    assert res.passed, res.details
    q, mode = myopic_biased_policy(params, sol.grid.belief)
    assert set(mode) <= {"baseline", "informative", "obfuscate"}
    np.testing.assert_allclose(myopic_biased_value(params, sol.grid.belief), sol.V, atol=1e-9)


def test_linear_thresholds_equal_roots_and_are_ordered() -> None:
    for p in (0.6, 0.75, 0.9):
        for k in (0.05, 0.4, 1.0, 3.0):
            params = Params(planner="biased", p=p, delta=0.0, cost=LinearCost(k))
            closed, roots = myopic_biased_thresholds(params), _thresholds_by_roots(params)
            assert all(abs(closed[n] - roots[n]) < 1e-9 for n in closed)
            t = closed
            assert 0 < t["t1"] < 1 - p <= t["t2"] <= t["t3"] < 0.5 <= t["t4"] <= t["t5"] < p


def test_obfuscation_band_next_to_one_half_for_a_power_cost() -> None:
    params = Params(planner="biased", p=0.9, delta=0.0, cost=PowerCost(0.78, 0.5))
    t = myopic_biased_thresholds(params)
    assert 0.5 < t["t4"] < t["t5"] < 0.9
    _, mode = myopic_biased_policy(params, np.array([0.52, 0.65, 0.85]))
    assert list(mode) == ["obfuscate", "baseline", "obfuscate"]


def test_misuse_is_refused_with_a_message() -> None:
    alt = solve(Params(planner="altruistic", delta=0.5), **GRID)
    with pytest.raises(ParameterError, match="theorem must be one of"):
        check(alt, "thm9")
    with pytest.raises(ParameterError, match="Theorem 5 is about the biased planner"):
        check(alt, "thm5")
    with pytest.raises(ParameterError, match="myopic planner"):
        check(alt, "thm1")
    fin = solve(Params(planner="altruistic", delta=1.0, horizon=3), **GRID)
    assert applicable(fin) == ()
    with pytest.raises(ParameterError, match="infinite-horizon problem"):
        check(fin, "thm2")


def test_independent_value_iteration_confirms_the_kink() -> None:
    """A brute-force oracle sharing no code with the solver (uniform grid, np.interp, q on a
    grid plus max(p, 1 − b) exactly) finds the same concave kink of V_A* near 1 − p."""
    p, k, delta = 0.8712, 1.8525, 0.3314
    beliefs = np.linspace(0.0, 1.0, 1001)
    qs = np.linspace(p, 1.0, 101)

    def q_values(v: np.ndarray, b: np.ndarray, q: np.ndarray) -> np.ndarray:
        follows = q >= np.maximum(b, 1 - b) - 1e-12
        reward = -k * (q - p) - np.minimum(np.minimum(b, 1 - b), 1 - q)
        pg = b * q + (1 - b) * (1 - q)
        up = np.where(follows, q * b / np.maximum(pg, 1e-300), b)
        down = np.where(follows, (1 - q) * b / np.maximum(1 - pg, 1e-300), b)
        ev = pg * np.interp(up, beliefs, v) + (1 - pg) * np.interp(down, beliefs, v)
        return reward + delta * np.where(follows, ev, np.interp(b, beliefs, v))

    v = np.zeros(beliefs.size)
    bb, qq = np.meshgrid(beliefs, qs, indexing="ij")
    crit = np.maximum(p, np.maximum(beliefs, 1 - beliefs))
    for _ in range(100):
        v = np.maximum(q_values(v, bb, qq).max(axis=1), q_values(v, beliefs, crit))
    i = int(np.argmin(np.abs(beliefs - (1 - p))))
    h = 5 * (beliefs[1] - beliefs[0])
    jump = (v[i + 5] - v[i]) / h - (v[i] - v[i - 5]) / h
    solver = check_convexity(solve(Params(planner="altruistic", p=p, delta=delta,
                                          cost=LinearCost(k)), beliefs=1001, precisions=101))
    assert jump < -0.5 and solver.margin < -0.5
    assert jump == pytest.approx(solver.margin, abs=0.1)
