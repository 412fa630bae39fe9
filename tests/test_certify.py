"""Certified bounds on the continuous-belief problem (steerherd.dp.bounds.certify).

Checked against what they must contain: the exact myopic value (closed form, δ = 0, at any
belief, ties and one-sided neighbours included), direct Monte Carlo of feasible policies
(upper bound above every one, certified policy above the lower bound, 4 standard errors), and
the grid solver within its own discretisation error.
"""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

import steerherd as sh
from steerherd.cli import main
from steerherd.dp.bounds.certify import certify, default_tol
from steerherd.errors import ConvergenceError, ParameterError
from steerherd.model import Params
from steerherd.model.costs import LinearCost, PowerCost

rng0 = np.random.default_rng(20261129)


def exact_reward(par: Params, b: np.ndarray, q: np.ndarray) -> np.ndarray:
    """r(b, q) with the exact tie rule (informative iff 1 − q ≤ b ≤ q, no tolerance)."""
    b, q = np.broadcast_arrays(np.asarray(b, float), np.asarray(q, float))
    inf = (1.0 - q <= b) & (b <= q)
    if par.planner == "altruistic":
        loss = np.where(inf, 1.0 - q, np.minimum(b, 1.0 - b))
    else:
        loss = np.where(inf, b * (1 - q) + (1 - b) * q, np.where(b > 0.5, 0.0, 1.0))
    return -np.asarray(par.cost(np.abs(q - par.p))) - par.C * loss


def myopic_sup(par: Params, b: float) -> float:
    """sup_q r(b, q) exactly: informative r is maximal at max(crit, q_min), 1 or p (−β(|q−p|)
    is convex on each side of p and peaks at p); cascade r at p or the limit q ↑ crit."""
    crit = max(b, 1.0 - b)
    qs = np.array([max(crit, par.q_min), 1.0] + ([par.p] if par.p >= crit else []))
    # the informative reward as a formula (the tie q = 1 − b need not be a float)
    loss = 1.0 - qs if par.planner == "altruistic" else b * (1 - qs) + (1 - b) * qs
    best = float(np.max(-np.asarray(par.cost(np.abs(qs - par.p))) - par.C * loss))
    casc_loss = (min(b, 1 - b) if par.planner == "altruistic" else (0.0 if b > 0.5 else 1.0))
    if par.p < crit:
        best = max(best, -par.C * casc_loss)  # q = p is a cascade, at no cost
    elif crit > par.q_min:  # the limit q ↑ crit (not attained)
        best = max(best, -float(par.cost(abs(crit - par.p))) - par.C * casc_loss)
    return best


def mc_value(par: Params, policy, b0: float, runs: int, seed: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Direct Monte Carlo of E Σ δ^t r(b_t, q_t) from b0 (exact tie rule); mean and SE."""
    rng = np.random.default_rng(seed)
    steps = par.horizon if par.horizon is not None else int(np.log(1e-12) / np.log(par.delta)) + 1
    b = np.full(runs, float(b0))
    good = rng.random(runs) < b0
    total, disc = np.zeros(runs), 1.0
    for t in range(steps):
        q = np.broadcast_to(np.asarray(policy(b, t), dtype=float), b.shape)
        assert np.all((q >= par.q_min) & (q <= 1.0)) and np.all(np.isfinite(q))
        sig = np.where(rng.random(runs) < q, good, ~good)
        inf = (1.0 - q <= b) & (b <= q)
        act = np.where(inf, sig, b > 0.5)
        loss = (act != good) if par.planner == "altruistic" else ~act
        total += disc * (-np.asarray(par.cost(np.abs(q - par.p))) - par.C * loss)
        num = np.where(sig, q * b, (1 - q) * b)
        den = num + np.where(sig, (1 - q) * (1 - b), q * (1 - b))
        b = np.where(inf & (den > 0), num / np.where(den > 0, den, 1.0), b)
        disc *= par.delta
    return float(total.mean()), float(total.std(ddof=1) / np.sqrt(runs))


def random_params(rng: np.random.Generator, planner: str, power: bool, delta: float) -> Params:
    cost = PowerCost(float(rng.uniform(0.1, 3)), float(rng.uniform(0.4, 1))) if power \
        else LinearCost(float(rng.uniform(0.1, 3)))
    return Params(planner=planner, p=float(rng.uniform(0.55, 0.9)), delta=delta, cost=cost)


def probe_beliefs(p: float, rng: np.random.Generator) -> np.ndarray:
    special = [0.0, 1.0, 0.5, 0.5 - 1e-9, 0.5 + 1e-9, 1 - p, 1 - p - 1e-9, 1 - p + 1e-9, p,
               p - 1e-9, p + 1e-9, 1e-12, 1 - 1e-12]
    return np.concatenate([special, rng.uniform(0, 1, 200)])


@pytest.mark.parametrize("planner", ["altruistic", "biased"])
@pytest.mark.parametrize("power", [False, True])
def test_myopic_bounds_contain_exact_value(planner: str, power: bool) -> None:
    rng = np.random.default_rng(7 + power)
    for _ in range(3):
        par = random_params(rng, planner, power, 0.0)
        bounds = certify(par, tol=1e-3)
        b = probe_beliefs(par.p, rng)
        lo, up = bounds.at(b)
        exact = np.array([myopic_sup(par, x) for x in b])
        assert np.all(lo <= exact + 1e-12) and np.all(exact <= up + 1e-12), par
        assert bounds.max_gap <= 1e-3
        # δ = 0: the certified policy's value is its reward, and must reach the lower bound
        q = bounds.policy(b)
        assert np.all(exact_reward(par, b, q) >= lo - 1e-12)
        # and the closed form is itself the sup over a dense precision grid
        grid = np.linspace(par.q_min, 1.0, 2001)
        dense = exact_reward(par, b[:, None], grid[None, :]).max(axis=1)
        assert np.all(dense <= exact + 1e-12)


FAST = [
    Params(planner="altruistic", p=0.6, delta=0.6, cost=LinearCost(3.0)),
    Params(planner="altruistic", p=0.75, delta=0.9, cost=PowerCost(1.0, 0.6)),
    Params(planner="biased", p=0.6, delta=0.8, cost=LinearCost(0.5)),
    Params(planner="biased", p=0.7, delta=0.7, cost=PowerCost(0.8, 0.7)),
]


@pytest.mark.parametrize("par", FAST, ids=lambda p: f"{p.planner}-{p.cost.name}-{p.delta}")
def test_tolerance_reached_fast(par: Params) -> None:
    start = time.perf_counter()
    bounds = certify(par, tol=1e-3, max_seconds=60)
    assert bounds.max_gap <= 1e-3
    assert time.perf_counter() - start < 60
    lo, up = bounds.at(np.linspace(0, 1, 1001))
    assert np.all(lo <= up)


@pytest.mark.slow
@pytest.mark.parametrize("planner,power", [
    ("altruistic", False), ("altruistic", True), ("biased", False), ("biased", True),
])
def test_twenty_random_instances_within_a_minute(planner: str, power: bool) -> None:
    """20 instances per planner (10 linear, 10 power costs), δ ≤ 0.95, tol = 1e-3, 60 s each."""
    rng = np.random.default_rng({"altruistic": 1, "biased": 2}[planner] + 10 * power)
    for _ in range(10):
        par = random_params(rng, planner, power, float(rng.uniform(0.0, 0.95)))
        start = time.perf_counter()
        bounds = certify(par, tol=1e-3, max_seconds=60)
        assert bounds.max_gap <= 1e-3, par
        assert time.perf_counter() - start < 60, par


@pytest.mark.slow
def test_delta_099_normalised_gap() -> None:
    par = Params(planner="biased", p=0.7, delta=0.99, cost=LinearCost(0.5))
    start = time.perf_counter()
    bounds = certify(par, tol=1e-2, max_seconds=60)
    assert (1 - par.delta) * bounds.max_gap <= 1e-4
    assert time.perf_counter() - start < 60


@pytest.mark.parametrize("par", [
    Params(planner="biased", p=0.65, delta=0.8, cost=PowerCost(0.8, 0.7)),
    Params(planner="altruistic", p=0.6, delta=0.8, cost=LinearCost(1.5)),
], ids=["biased", "altruistic"])
def test_monte_carlo_between_bounds(par: Params) -> None:
    bounds = certify(par, tol=2e-3)
    policies = {
        "certified": lambda b, t: bounds.policy(b),
        "always p": lambda b, t: np.full(b.shape, par.p),
        "always 1": lambda b, t: np.ones(b.shape),
    }
    for k, b0 in enumerate([0.3, 1 - par.p, 0.5, par.p, 0.8]):
        lo, up = (float(x) for x in bounds.at(b0))
        for j, (name, pol) in enumerate(policies.items()):
            mean, se = mc_value(par, pol, b0, runs=20_000, seed=100 * k + j)
            # 1e-8: events rarer than 1/runs (a signal error at q = 1 − 1e-11) are invisible to MC
            assert mean <= up + 4 * se + 1e-8, (name, b0, mean, se, up)
            if name == "certified":
                assert mean >= lo - 4 * se - 1e-8, (b0, mean, se, lo)


def test_finite_horizon_bounds() -> None:
    par = Params(planner="biased", p=0.7, delta=1.0, horizon=3, cost=LinearCost(0.5))
    bounds = certify(par, tol=1e-2)
    assert bounds.max_gap <= 1e-2 and bounds.stage_form is not None
    one = certify(par.replace(horizon=1), tol=1e-3)
    for b0 in (0.2, 0.3, 0.5, 0.6, 0.85):
        assert float(one.at(b0)[0]) <= myopic_sup(par, b0) <= float(one.at(b0)[1]) + 1e-12
        lo, up = (float(x) for x in bounds.at(b0))
        mean, se = mc_value(par, lambda b, t: bounds.policy(b, stage=t), b0, 20_000, seed=5)
        assert lo - 4 * se - 1e-8 <= mean <= up + 4 * se + 1e-8
        mean, se = mc_value(par, lambda b, t: np.full(b.shape, par.p), b0, 20_000, seed=6)
        assert mean <= up + 4 * se + 1e-8


@pytest.mark.parametrize("par", [
    Params(planner="altruistic", p=0.7, delta=0.9, cost=LinearCost(0.5)),
    Params(planner="biased", p=0.7, delta=0.9, cost=LinearCost(0.5)),
], ids=["altruistic", "biased"])
def test_grid_solution_within_bounds_up_to_its_discretisation(par: Params) -> None:
    """V of the grid MDP at its nodes lies within the continuous bounds, up to the grid's own
    discretisation error (measured as the change from 1001 to 4001 beliefs)."""
    bounds = certify(par, tol=2e-3)
    coarse = sh.solve(par, beliefs=1001, precisions=201)
    fine = sh.solve(par, beliefs=4001, precisions=801)
    b = coarse.grid.belief
    disc = np.abs(coarse.V - fine.value(coarse.belief))
    lo, up = bounds.at(b)
    slack = 2 * disc + 1e-9
    assert np.all(coarse.V <= up + slack) and np.all(coarse.V >= lo - slack)


def test_solution_api_and_json() -> None:
    par = Params(planner="biased", p=0.7, delta=0.8, cost=LinearCost(0.5))
    sol = sh.solve(par, beliefs=201, tol=5e-3)
    lo, up = sol.bounds(0.4)
    assert np.ndim(lo) == 0 and lo <= up
    b = np.array([0.0, 0.3, 0.5, 0.7, 1.0])
    lo, up = sol.bounds(b)
    assert lo.shape == up.shape == b.shape and np.all(up - lo <= 5e-3)
    q = sol.certified_policy(b)
    assert q.shape == b.shape and np.all((q >= par.q_min) & (q <= 1.0))
    data = json.loads(json.dumps(sol.to_dict()))
    blk = data["bounds"]
    assert {"belief", "lower", "upper", "max_gap"} <= set(blk)
    assert len(blk["belief"]) == len(blk["lower"]) == len(blk["upper"])
    assert blk["max_gap"] <= 5e-3
    assert np.all(np.array(blk["lower"]) <= np.array(blk["upper"]))


def test_lazy_default_and_refusals() -> None:
    par = Params(planner="altruistic", p=0.7, delta=0.5, cost=LinearCost(0.5))
    sol = sh.solve(par, beliefs=101)
    assert "bounds" not in sol.to_dict()  # computed only when asked for
    lo, up = sol.bounds(0.5)
    assert up - lo <= default_tol(par)
    with pytest.raises(ParameterError, match="tol must be a number > 0, got 0"):
        certify(par, tol=0)
    with pytest.raises(ParameterError, match="Bayesian agents only.*behavioral"):
        sh.solve(par, beliefs=101, agent=sh.Behavioral(1, 0.7, 2.5), tol=1e-2)
    with pytest.raises(ConvergenceError, match=r"max gap [0-9.e-]+ > tol=1e-09") as info:
        certify(par.replace(delta=0.9), tol=1e-9, max_seconds=0.5)
    partial = info.value.bounds  # type: ignore[attr-defined]  # the wider bounds reached
    lo, up = partial.at(np.linspace(0, 1, 101))
    assert 1e-9 < partial.max_gap < 1.0 and np.all(lo <= up)


def test_myopic_certified_threshold_contains_closed_form() -> None:
    """Theorem 1: the myopic altruistic planner switches from q = p to q = 1 at t_M."""
    par = Params(planner="altruistic", p=0.7, delta=0.0, cost=LinearCost(0.5))
    t_m = 0.5 * (1 - par.p)
    sol = sh.solve(par, beliefs=101, tol=1e-3)
    reg = sol.certified_regimes()
    thr = [t for t in reg.thresholds if (t["from"], t["to"]) == ("baseline", "full")]
    assert len(thr) == 1 and thr[0]["lo"] <= t_m <= thr[0]["hi"]
    assert reg.mode_at(0.5) == "full" and reg.mode_at(0.02) == "baseline"


def test_cli_tol_and_json(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["solve", "--planner", "biased", "--beliefs", "101", "--delta", "0.5",
                 "--tol", "0.01", "--json", "-"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["bounds"]["max_gap"] <= 0.01
    assert main(["solve", "--tol", "0", "--beliefs", "101", "--json", "-"]) == 2
    assert "tol must be a number > 0" in capsys.readouterr().err


# A former stalling instance (issue 15): biased, power cost α = 0.417. Its optimum near 1/2
# sends the G-successor onto the cusp of −β(p − b)/(1 − δ) at p, and the cost itself has a
# cusp at q = p; cell-wise constant bounds stalled at gap 7.6e-3 before the refinement went
# geometric toward those points.
STALL = Params(planner="biased", p=0.5642, delta=0.5837, cost=PowerCost(2.2228, 0.417))


def test_former_stall_myopic_variant_contains_exact_value() -> None:
    par = STALL.replace(delta=0.0)
    bounds = certify(par, tol=1e-3, max_seconds=60)
    p = par.p
    b = np.concatenate([probe_beliefs(p, np.random.default_rng(3)),
                        0.5 - np.logspace(-12, -2, 21), 0.5 + np.logspace(-12, -2, 21)])
    lo, up = bounds.at(b)
    exact = np.array([myopic_sup(par, x) for x in b])
    assert np.all(lo <= exact + 1e-12) and np.all(exact <= up + 1e-12)
    assert bounds.max_gap <= 1e-3
    assert np.all(exact_reward(par, b, bounds.policy(b)) >= lo - 1e-12)


def _escape_to_p(par: Params):  # type: ignore[no-untyped-def]
    """Below 1/2: the precision whose G-successor lands just above p; on [1/2, p): q = b − ε
    (a G cascade at cost β(p − b)); from p on: q = p. A strong feasible policy here."""
    p = par.p

    def pol(b: np.ndarray, t: int) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            target = np.minimum(p * (1 - b) / (b * (1 - p) + p * (1 - b)) + 1e-9, 1.0)
        q = np.where(b < 0.5, target, np.where(b < p, np.maximum(b - 1e-12, 0.5), p))
        return np.clip(np.where(b <= 0.0, p, q), 0.5, 1.0)
    return pol


def test_former_stall_reaches_tol_and_brackets_monte_carlo() -> None:
    start = time.perf_counter()
    bounds = certify(STALL, tol=1e-3, max_seconds=60)
    assert bounds.max_gap <= 1e-3 and time.perf_counter() - start < 60
    par = STALL
    policies = {
        "certified": lambda b, t: bounds.policy(b),
        "always p": lambda b, t: np.full(b.shape, par.p),
        "escape to p": _escape_to_p(par),
    }
    # exact: on [1/2, p), q = b − 1e-12 is a G cascade forever, worth −β(p − b + 1e-12)/(1 − δ)
    b = par.p - np.logspace(-10, np.log10(par.p - 0.5) - 0.01, 40)
    cascade = -np.asarray(par.cost(par.p - (b - 1e-12))) / (1 - par.delta)
    assert np.all(cascade <= bounds.at(b)[1] + 1e-12)
    for k, b0 in enumerate([0.5 - 1e-6, 0.5 - 1e-3, 0.45, 1 - par.p, 0.5, par.p - 1e-7]):
        lo, up = (float(x) for x in bounds.at(b0))
        for j, (name, pol) in enumerate(policies.items()):
            mean, se = mc_value(par, pol, b0, runs=20_000, seed=1000 + 10 * k + j)
            assert mean <= up + 4 * se + 1e-8, (name, b0, mean, se, up)
            if name == "certified":
                assert mean >= lo - 4 * se - 1e-8, (b0, mean, se, lo)


@pytest.mark.parametrize("par", [STALL, Params(planner="biased", p=0.6, delta=0.8,
                                               cost=LinearCost(0.5))], ids=["cusp", "linear"])
def test_refined_boxes_cover_every_precision_of_every_cell(par: Params) -> None:
    """Soundness of the upper bound needs each cell's boxes to cover [q_min, 1] after any
    refinement (geometric cuts toward p, pieces, merges); cells must partition [0, 1]."""
    bounds = certify(par, tol=2e-3, max_seconds=60)
    cells, boxes = bounds.cells, bounds.boxes
    assert boxes is not None
    inner = np.arange(1, cells.size - 1)
    order = np.lexsort((boxes.q1, boxes.q0, boxes.cell))
    c, q0, q1 = boxes.cell[order], boxes.q0[order], boxes.q1[order]
    assert np.array_equal(np.unique(c), inner)
    first = np.r_[True, c[1:] != c[:-1]]
    last = np.r_[c[1:] != c[:-1], True]
    assert np.all(q0[first] <= par.q_min) and np.all(q1[last] >= 1.0)
    run = np.empty_like(q1)  # the furthest q1 so far within each cell (rows sorted by q0)
    for s, e in zip(np.flatnonzero(first), np.flatnonzero(last), strict=True):
        run[s:e + 1] = np.maximum.accumulate(q1[s:e + 1])
    assert np.all(q0[~first] <= run[np.flatnonzero(~first) - 1]), "a gap between boxes"
    # cells: sorted, contiguous closures, singletons at 0, 1/2, 1
    assert np.all(cells.lo[1:] >= cells.lo[:-1]) and np.all(cells.hi[:-1] == cells.lo[1:])
    assert cells.lo[cells.half] == cells.hi[cells.half] == 0.5
