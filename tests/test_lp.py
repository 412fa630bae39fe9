"""The LP cross-check agrees with policy iteration and exposes a valid dual."""

from __future__ import annotations

import numpy as np
import pytest

from steerherd import LinearCost, ParameterError, Params, PowerCost, solve
from steerherd.cli import main
from steerherd.dp.lp import LP_TOL, lp_matrix, solve_lp_values
from steerherd.dp.solve import build_problem

#: The LP's values must match policy iteration's to this (the issue's promise; HiGHS with
#: feasibility tolerance LP_TOL = 1e-10 lands about 1e-13 off in practice).
AGREE = 1e-8

CASES = [
    Params(planner="altruistic", p=0.7, delta=0.9, cost=LinearCost(0.5)),
    Params(planner="biased", p=0.7, delta=0.8, cost=LinearCost(1.0)),
    Params(planner="biased", p=0.6, delta=0.5, cost=PowerCost(0.8, 0.5)),
    Params(planner="altruistic", p=0.8, delta=0.0, cost=LinearCost(0.3)),
]


@pytest.mark.parametrize("params", CASES, ids=lambda p: f"{p.planner}-d{p.delta}")
def test_lp_agrees_with_policy_iteration(params: Params) -> None:
    pi = solve(params, beliefs=101, precisions=21, method="pi")
    lp = solve(params, beliefs=101, precisions=21, method="lp")
    np.testing.assert_allclose(lp.lp.value, pi.V, rtol=0, atol=AGREE)
    np.testing.assert_allclose(lp.V, pi.V, rtol=0, atol=AGREE)
    np.testing.assert_array_equal(lp.q, pi.q)
    assert lp.certificate.method == "lp" and lp.certificate.converged


@pytest.mark.parametrize("params", CASES[:3], ids=lambda p: f"{p.planner}-d{p.delta}")
def test_dual_is_a_discounted_occupancy_measure(params: Params) -> None:
    res = solve_lp_values(build_problem(params, beliefs=101, precisions=21))
    x = res.occupancy
    assert x.min() >= 0.0
    # Total mass 1/(1 − δ) and strong duality, to the LP's tolerance times its scale.
    scale = 1.0 / (1.0 - params.delta)
    assert abs(x.sum() - scale) < 1e3 * LP_TOL * scale
    assert res.duality_gap < 1e3 * LP_TOL * scale * max(1.0, np.abs(res.value).max())
    # Flow balance: Σ_a x(s', a) − δ Σ P(s'|s,a) x(s, a) = μ(s').
    problem = build_problem(params, beliefs=101, precisions=21)
    a, _, feasible = lp_matrix(problem)
    np.testing.assert_allclose(a.T @ x[feasible], res.initial, atol=1e3 * LP_TOL)


def test_constraint_matrix_is_sparse() -> None:
    problem = build_problem(CASES[0], beliefs=201, precisions=51)
    a, r, feasible = lp_matrix(problem)
    assert a.shape == (int(feasible.sum()), problem.grid.size) == (r.size, a.shape[1])
    assert np.diff(a.indptr).max() <= 5  # the node itself and four interpolation weights


def test_finite_horizon_and_refinement_are_refused() -> None:
    with pytest.raises(ParameterError, match="infinite-horizon discounted problem only"):
        solve(Params(horizon=5), beliefs=51, precisions=11, method="lp")
    with pytest.raises(ParameterError, match="refine=True"):
        solve(Params(), beliefs=51, precisions=11, method="lp", refine=True)


def test_missing_cvxpy_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "cvxpy", None)  # import cvxpy now raises ImportError
    with pytest.raises(ImportError, match=r"install steerherd\[lp\]"):
        solve(CASES[0], beliefs=51, precisions=11, method="lp")


def test_cli_method_lp(tmp_path) -> None:  # type: ignore[no-untyped-def]
    code = main(["solve", "--method", "lp", "--beliefs", "51", "--precisions", "11",
                 "--out", str(tmp_path)])
    assert code == 0 and (tmp_path / "solution.json").exists()
    assert main(["solve", "--method", "lp", "--horizon", "3", "--delta", "1", "--beliefs",
                 "51", "--precisions", "11", "--out", str(tmp_path)]) == 2


@pytest.mark.slow
def test_lp_at_1000_beliefs_by_200_precisions() -> None:
    params = CASES[1]
    pi = solve(params, beliefs=1001, precisions=201)
    lp = solve(params, beliefs=1001, precisions=201, method="lp")
    np.testing.assert_allclose(lp.lp.value, pi.V, rtol=0, atol=AGREE)


def test_lp_json_to_stdout_is_clean(capfd: pytest.CaptureFixture[str]) -> None:
    """HiGHS prints a banner from C++; it must not corrupt `--json -`."""
    import json

    assert main(["solve", "--method", "lp", "--beliefs", "51", "--precisions", "11",
                 "--json", "-"]) == 0
    assert json.loads(capfd.readouterr().out)["certificate"]["method"] == "lp"
