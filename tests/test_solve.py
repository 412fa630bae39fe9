"""The solvers: closed forms, agreement between methods, refinement, a brute-force oracle."""

from __future__ import annotations

import functools

import numpy as np
import pytest

import steerherd as sh
from steerherd import ConvergenceError, LinearCost, Params, PowerCost, SolverOptions
from steerherd.agents import Bayesian
from steerherd.dp.solve import build_problem, solve_problem
from steerherd.model import reward, reward_from_actions
from steerherd.structure import myopic_altruistic_policy, myopic_threshold

#: The solvers stop when the MacQueen–Porteus gap is below ε; VI/MPI return the midpoint, so
#: they are within ε/2 of V* on the grid, and PI is exact up to the sparse solve (~1e-13).
EPS = 1e-10
#: A δ = 0 solve is a max over candidates: exact up to float rounding of the rewards.
EXACT = 1e-12
#: Beliefs this close to t_M are ties between p and 1 (the tie goes to p, TIE_Q wide).
NEAR_TM = 1e-7

PARAMS = [
    Params(planner="altruistic", p=0.7, delta=0.9, cost=LinearCost(0.5)),
    Params(planner="altruistic", p=0.6, delta=0.95, cost=PowerCost(0.3, 0.5)),
    Params(planner="biased", p=0.7, delta=0.9, cost=LinearCost(0.5)),
    Params(planner="biased", p=0.8, delta=0.8, cost=PowerCost(0.6, 0.7)),
]


@pytest.mark.parametrize("p", [0.55, 0.7, 0.9])
@pytest.mark.parametrize("cost", [LinearCost(0.1), LinearCost(0.5), LinearCost(1.3),
                                  PowerCost(0.2, 0.5), PowerCost(0.8, 0.3)])
def test_theorem1_closed_form_equals_myopic_solve(p: float, cost: object) -> None:
    params = Params(planner="altruistic", p=p, delta=0.0, cost=cost)  # type: ignore[arg-type]
    sol = sh.solve(params, beliefs=401, precisions=51)
    b = sol.belief
    away = np.abs(np.minimum(b, 1 - b) - myopic_threshold(params)) > NEAR_TM
    np.testing.assert_array_equal(sol.q[away], myopic_altruistic_policy(params, b[away]))
    closed = np.maximum(reward(params, b, p), reward(params, b, 1.0))
    np.testing.assert_allclose(sol.V, closed, atol=EXACT)
    assert sol.thresholds["t_M"].value == pytest.approx(myopic_threshold(params), abs=0)


def test_theorem1_never_invests_when_full_precision_is_too_dear() -> None:
    params = Params(planner="altruistic", p=0.7, delta=0.0, cost=LinearCost(1.5))
    assert myopic_threshold(params) == 0.5
    sol = sh.solve(params, beliefs=201)
    assert set(sol.modes) == {"baseline"}


@pytest.mark.parametrize("params", PARAMS, ids=lambda p: f"{p.planner}-{p.cost.name}")
def test_vi_pi_mpi_agree(params: Params) -> None:
    problem = build_problem(params, beliefs=301, precisions=61)
    sols = {m: sh.Solution.from_raw(solve_problem(problem, m, SolverOptions(epsilon=EPS)))
            for m in ("pi", "vi", "mpi")}
    for m in ("vi", "mpi"):
        np.testing.assert_allclose(sols[m].V, sols["pi"].V, rtol=0, atol=EPS / 2 + 1e-12)
        np.testing.assert_array_equal(sols[m].modes, sols["pi"].modes)
        np.testing.assert_array_equal(sols[m].q, sols["pi"].q)
    cert = sols["vi"].certificate
    assert cert.converged and cert.gap < EPS
    assert np.all(cert.lower <= sols["pi"].V + 1e-12) and np.all(sols["pi"].V <= cert.upper + 1e-12)


@pytest.mark.parametrize("params", PARAMS[2:], ids=["biased-linear", "biased-power"])
def test_grid_refinement_converges(params: Params) -> None:
    """Observed: the error at fixed beliefs falls ~16x per 4x more beliefs (second order)."""
    check = np.array([0.05, 0.2, 0.35, 0.45, 0.6, 0.8])
    ref = sh.solve(params, beliefs=12801, precisions=101).value(check)
    errs = [np.abs(sh.solve(params, beliefs=n, precisions=101).value(check) - ref).max()
            for n in (201, 801, 3201)]
    rates = np.log(np.array(errs[:-1]) / errs[1:]) / np.log(4)
    assert np.all(rates > 1.0), (errs, rates)
    assert errs[-1] < 1e-6


def _brute_force(params: Params, b: float) -> float:
    """Exact finite-horizon optimum by recursion over every history (no grid).

    Candidates are those of the solver with a 2-point precision grid: p, 1, q_min, m and the
    one-sided limits of m, each evaluated as a limit: cost at m, behaviour from the side,
    successors nudged 1e-12 to the side they approach.
    """
    agent = Bayesian()

    @functools.cache
    def value(b: float, n: int) -> float:
        if n == params.horizon:
            return 0.0
        m = max(b, 1 - b)
        cands = [(q, 0) for q in {params.p, 1.0, params.q_min, m}]
        cands += [(m, -1), (m, 1)] if m > params.q_min else [(m, 1)]
        best = -np.inf
        for q, side in cands:
            if not params.q_min - 1e-15 <= q <= 1.0 or (side == 1 and m >= 1.0):
                continue
            gg, gb = (float(x) for x in agent.action_probs(b, q, np.array(side)))
            r = float(reward_from_actions(params, b, q, gg, gb))
            pa = b * gg + (1 - b) * gb
            moves = gg != gb or side == 1
            up = b * gg / pa + 1e-12 * side if moves and pa > 0 else b
            down = b * (1 - gg) / (1 - pa) - 1e-12 * side if moves and pa < 1 else b
            ev = pa * value(up, n + 1) + (1 - pa) * value(down, n + 1)
            best = max(best, r + params.delta * ev)
        return best

    return value(b, 0)


@pytest.mark.parametrize(
    "params",
    [
        Params(planner="altruistic", p=0.75, delta=1.0, horizon=3, cost=PowerCost(0.3, 0.5)),
        Params(planner="altruistic", p=0.6, delta=0.9, horizon=4, cost=LinearCost(0.15)),
        Params(planner="biased", p=0.7, delta=0.95, horizon=3, cost=LinearCost(0.4)),
        Params(planner="biased", p=0.75, delta=1.0, horizon=3, cost=PowerCost(0.3, 0.5)),
    ],
    ids=["altruistic-power", "altruistic-linear", "biased-linear", "biased-power"],
)
def test_backward_induction_matches_brute_force(params: Params) -> None:
    """The grid solution converges to the exact optimum over all histories (rate >= 1)."""
    check = np.array([0.05, 0.2, 0.35, 0.5, 0.6, 0.8])
    exact = np.array([_brute_force(params, b) for b in check])
    errs = [np.abs(sh.solve(params, beliefs=n, precisions=2).value(check) - exact).max()
            for n in (401, 1601, 6401)]
    assert errs[2] < 1e-4, errs
    assert errs[2] <= errs[1] / 3 or errs[2] < 1e-9, errs
    assert errs[1] <= errs[0] / 3 or errs[1] < 1e-9, errs


def test_biased_value_jumps_at_one_half_and_obfuscates() -> None:
    params = Params(planner="biased", p=0.7, delta=0.9, cost=LinearCost(0.5))
    sol = sh.solve(params, beliefs=1001)
    grid = sol.grid
    left, point, right = (int(grid.node_index(0.5, s)) for s in (-1, 0, 1))
    # Right of 1/2 the planner can lock in a G cascade (q ↑ b); at 1/2 the tie rule forbids it.
    assert sol.V[right] - sol.V[point] > 0.5
    assert sol.V[point] == pytest.approx(sol.V[left], abs=1e-6)
    # Just right of 1/2 the cascade costs β(p − 1/2) per agent forever: V(1/2+) = −k(p − ½)/(1−δ).
    assert sol.V[right] == pytest.approx(-0.5 * 0.2 / 0.1, abs=1e-6)
    upper = (sol.belief > 0.5) & (sol.belief < 0.7)
    assert set(sol.modes[upper]) == {"obfuscate"}
    assert not sol.attained[upper].any()
    np.testing.assert_allclose(sol.q[upper], sol.belief[upper], atol=2e-9)  # q ↑ b, the limit
    assert sol.thresholds["t_2"] is not None
    ob = [r for r in sol.regimes if r.mode == "obfuscate"][0]
    assert not ob.attained and "not attained" in ob.formula


def test_precision_ranges() -> None:
    for params in PARAMS:
        sol = sh.solve(params, beliefs=201, precisions=41)
        assert sol.q.min() >= params.q_min - 1e-12 and sol.q.max() <= 1.0


def test_refinement_never_worse_and_stays_certified() -> None:
    params = Params(planner="biased", p=0.7, delta=0.9, cost=PowerCost(0.5, 0.5))
    plain = sh.solve(params, beliefs=201, precisions=21)
    refined = sh.solve(params, beliefs=201, precisions=21, refine=True)
    assert np.all(refined.V >= plain.V - 1e-12)
    assert refined.certificate.converged


def test_non_convergence_raises() -> None:
    params = Params(planner="altruistic", p=0.6, delta=0.99, cost=LinearCost(0.2))
    with pytest.raises(ConvergenceError, match="max_iter=3"):
        sh.solve(params, beliefs=101, method="vi", options=SolverOptions(max_iter=3))


def test_unknown_method() -> None:
    with pytest.raises(sh.ParameterError, match=r"method must be one of \['vi', 'pi', 'mpi'"):
        sh.solve(Params(), beliefs=51, method="newton")


def test_policy_iteration_near_delta_one_stops_at_the_rounding_floor() -> None:
    """At δ = 0.99855 the LU's rounding (about 1 ulp of |V| ≈ 700) times δ/(1 − δ) ≈ 690 puts
    the MacQueen–Porteus gap of the stable policy at ≈ 1.5e-10, above ε = 1e-10; PI used to
    evaluate that policy again until max_iter. It now stops at max(ε, rounding floor), says so
    in the certificate, and agrees with modified PI within the two certified gaps."""
    params = Params(planner="biased", p=0.7653, delta=0.99855,
                    cost=LinearCost(1.3524402801714142))
    pi = sh.solve(params, beliefs=401, precisions=101, method="pi")
    cert = pi.certificate
    assert cert.converged and cert.epsilon_floor > cert.epsilon
    assert cert.gap < cert.epsilon_floor
    mpi = sh.solve(params, beliefs=401, precisions=101, method="mpi")
    fast = sh.solve(params, beliefs=401, precisions=101)
    assert fast.certificate.converged
    assert np.max(np.abs(pi.V - fast.V)) <= cert.gap + fast.certificate.gap
    assert np.max(np.abs(pi.V - mpi.V)) <= cert.gap + mpi.certificate.gap / 2
    assert cert.to_dict()["epsilon_floor"] == cert.epsilon_floor


def test_rounding_floor_is_zero_when_myopic_and_tiny_at_moderate_delta() -> None:
    from steerherd.dp.certificate import rounding_floor

    v = np.full(5, -10.0)
    assert rounding_floor(0.0, v) == 0.0
    assert rounding_floor(0.9, v) < 1e-12  # never binds against the default ε = 1e-10
