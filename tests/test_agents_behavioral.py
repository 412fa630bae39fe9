"""Behavioral and Tabulated agent models: Bayesian limit, NB1–NB3, limits, validation."""

from __future__ import annotations

import numpy as np
import pytest

import steerherd as sh
from steerherd.agents import Bayesian, Behavioral, Tabulated, agent_from_dict, expit, logit
from steerherd.errors import ParameterError
from steerherd.model import Params, posterior

B = np.linspace(0.0, 1.0, 101)[:, None]
Q = np.linspace(0.5, 1.0, 51)[None, :]
#: Behavioral(1, 1, 1) computes max(b, 1 − b) as expit(|logit b|): equal up to a few ulps.
ULP_TOL = 1e-12


def test_unit_weights_are_bayesian_actions_including_ties() -> None:
    bg, bb = Bayesian().action_probs(B, Q)
    hg, hb = Behavioral().action_probs(B, Q)
    np.testing.assert_array_equal(bg, hg)
    np.testing.assert_array_equal(bb, hb)
    # The tie b = q: both follow the signal.
    assert Behavioral().action_probs(0.7, 0.7)[0] == pytest.approx(0.7)


def test_unit_weights_report_the_bayesian_posterior() -> None:
    b, q = np.meshgrid(np.linspace(0.01, 0.99, 30), np.linspace(0.5, 0.99, 20))
    for s in (True, False):
        got = Behavioral().reported_belief(b, q, s)
        np.testing.assert_allclose(got, posterior(b, q, s), atol=ULP_TOL)


def test_nb1_under_reacts_to_agreeing_signals() -> None:
    b, q = 0.7, 0.8  # lean G, a G signal agrees
    bayes = posterior(b, q, True)
    nb = Behavioral(w_agree=0.5).reported_belief(b, q, True)
    assert b < nb < bayes
    # A contradicting signal is untouched by w_agree.
    assert Behavioral(w_agree=0.5).reported_belief(b, q, False) == pytest.approx(
        posterior(b, q, False), abs=ULP_TOL)


def test_nb2_over_reacts_to_contradicting_signals() -> None:
    b, q = 0.7, 0.8  # lean G, a B signal contradicts
    nb = Behavioral(w_disagree=2.0).reported_belief(b, q, False)
    assert nb < posterior(b, q, False) < b


def test_nb3_cascades_need_a_stronger_public_belief() -> None:
    agent = Behavioral(w_disagree=2.0)
    beliefs = np.linspace(0.01, 0.99, 99)
    crit = agent.critical_precision(beliefs)
    assert np.all(crit <= np.maximum(beliefs, 1 - beliefs) + ULP_TOL)
    # At q = 0.7 a Bayesian cascades at b = 0.75; this agent still follows its signal there
    # and cascades only past expit(2·logit 0.7) ≈ 0.845.
    q = 0.7
    edge = float(expit(2.0 * logit(q)))
    assert Bayesian().action_probs(0.75, q)[0] == 1.0
    assert agent.action_probs(0.75, q)[0] == pytest.approx(q)
    assert agent.action_probs(edge + 1e-6, q)[1] == 1.0
    assert agent.action_probs(edge - 1e-6, q)[1] == pytest.approx(1 - q)
    assert agent.breakpoints(Params(p=q)) == pytest.approx((1 - edge, 0.5, edge))


def test_b_half_has_no_lean_and_uses_the_mean_weight() -> None:
    agent = Behavioral(w_agree=0.5, w_disagree=1.5)
    assert agent.weight(0.5, True) == pytest.approx(1.0)
    assert agent.reported_belief(0.5, 0.8, True) == pytest.approx(0.8)
    assert agent.critical_precision(0.5) == 0.5


def test_one_sided_limits() -> None:
    agent = Behavioral(w_disagree=2.0)
    m = float(agent.critical_precision(0.8))
    below = agent.action_probs(0.8, m, np.array(-1))
    above = agent.action_probs(0.8, m, np.array(1))
    assert (below[0], below[1]) == (1.0, 1.0)  # ignores its signal: a G cascade
    assert above[0] == pytest.approx(m) and above[1] == pytest.approx(1 - m)


def test_noisy_agent_is_smooth_and_tends_to_the_deterministic_rule() -> None:
    gg, gb = Behavioral(0.8, 0.6, 2.0, lam=0.5).action_probs(B, Q)
    assert np.all((gg >= 0) & (gg <= 1) & (gb >= 0) & (gb <= 1))
    assert Behavioral(lam=0.5).critical_precision(0.3) is None
    det = Behavioral(0.8, 0.6, 2.0).action_probs(0.3, 0.9)
    sharp = Behavioral(0.8, 0.6, 2.0, lam=1e-3).action_probs(0.3, 0.9)
    np.testing.assert_allclose(sharp, det, atol=1e-9)


@pytest.mark.parametrize("planner", ["altruistic", "biased"])
def test_solve_with_unit_behavioral_matches_bayesian(planner: str) -> None:
    params = Params(planner=planner, p=0.7, delta=0.9, cost=sh.LinearCost(0.5))
    a = sh.solve(params, beliefs=301, precisions=61)
    b = sh.solve(params, beliefs=301, precisions=61, agent=Behavioral())
    explicit = sh.solve(params, beliefs=301, precisions=61, agent=Bayesian())
    np.testing.assert_array_equal(a.V, explicit.V)
    np.testing.assert_array_equal(a.q, explicit.q)
    np.testing.assert_allclose(a.V, b.V, atol=1e-10)  # ulps in m, through 1/(1 − δ)
    np.testing.assert_array_equal(a.kind, b.kind)


def test_solve_against_noisy_and_tabulated_agents() -> None:
    params = Params(planner="biased", p=0.7, delta=0.9, cost=sh.LinearCost(0.5))
    sol = sh.solve(params, beliefs=201, precisions=41, agent=Behavioral(1, 0.6, 2.0, lam=0.5))
    assert sol.certificate.converged and "informative" not in set(sol.modes)
    table = _noisy_table()
    sol_t = sh.solve(params, beliefs=201, precisions=41, agent=table)
    assert sol_t.certificate.converged
    assert sol_t.agent["model"] == "tabulated"


def _noisy_table() -> Tabulated:
    agent = Behavioral(1.0, 0.6, 2.0, lam=0.5)
    b, q = np.linspace(0, 1, 41), np.linspace(0.5, 1, 11)
    gg, gb = agent.action_probs(b[:, None], q[None, :])
    return Tabulated({"b": b, "q": q, "good_if_good": gg, "good_if_bad": gb})


def test_tabulated_interpolates_and_is_exact_on_nodes() -> None:
    table = _noisy_table()
    gg, gb = table.action_probs(table.b[5], table.q[3])
    assert gg == pytest.approx(table.good_if_good[5, 3])
    mid = table.action_probs(0.5 * (table.b[5] + table.b[6]), table.q[3])[0]
    assert mid == pytest.approx(0.5 * (table.good_if_good[5, 3] + table.good_if_good[6, 3]))


@pytest.mark.parametrize(
    "change, message",
    [({"b": np.linspace(0.1, 1, 41)}, "cover"), ({"q": np.linspace(0.4, 1, 11)}, "lie in"),
     ({"good_if_good": np.full((41, 11), 1.2)}, "probabilit"),
     ({"good_if_bad": np.zeros((40, 11))}, "shape")],
)
def test_tabulated_refuses_bad_tables(change: dict, message: str) -> None:
    base = _noisy_table().to_dict()
    with pytest.raises(ParameterError, match=message):
        Tabulated(base | change)


def test_tabulated_refuses_precisions_it_does_not_cover() -> None:
    base = _noisy_table().to_dict() | {"q": np.linspace(0.6, 1, 11)}
    table = Tabulated(base)
    with pytest.raises(ParameterError, match="q range"):
        table.action_probs(0.5, 0.55)
    with pytest.raises(ParameterError, match="chooses q in"):
        table.breakpoints(Params(planner="biased"))


@pytest.mark.parametrize("kwargs", [{"w_prior": -1}, {"w_agree": 0}, {"w_disagree": np.inf},
                                    {"lam": 0.0}, {"w_agree": "1"}])
def test_behavioral_refuses_bad_weights(kwargs: dict) -> None:
    with pytest.raises(ParameterError):
        Behavioral(**kwargs)


@pytest.mark.parametrize("agent", [Bayesian(), Behavioral(0.9, 0.5, 1.7, lam=0.3)])
def test_agent_round_trips_through_dict(agent: object) -> None:
    again = agent_from_dict(agent.to_dict())  # type: ignore[attr-defined]
    np.testing.assert_array_equal(again.action_probs(B, Q), agent.action_probs(B, Q))  # type: ignore[attr-defined]
    with pytest.raises(ParameterError, match="unknown agent"):
        agent_from_dict({"model": "martian"})


def test_solution_policy_follows_the_solved_agents_switching_precision() -> None:
    params = Params(planner="biased", p=0.7, delta=0.9, cost=sh.LinearCost(0.5))
    agent = Behavioral(1.0, 0.6, 2.0)
    sol = sh.solve(params, beliefs=401, precisions=81, agent=agent)
    informative = sol.belief[(sol.modes == "informative") & (sol.grid.side == 0)]
    assert informative.size > 0
    crit = agent.critical_precision(informative)
    np.testing.assert_allclose(sol.policy(informative), np.maximum(crit, params.q_min))
    obfuscate = sol.belief[(sol.modes == "obfuscate") & (sol.grid.side == 0)]
    np.testing.assert_allclose(sol.policy(obfuscate), agent.critical_precision(obfuscate))


def test_behavioral_solution_survives_save_and_load(tmp_path) -> None:  # type: ignore[no-untyped-def]
    params = Params(planner="biased", p=0.7, delta=0.9, cost=sh.LinearCost(0.5))
    sol = sh.solve(params, beliefs=201, precisions=41, agent=Behavioral(1.0, 0.6, 2.0))
    again = sh.Solution.load(sol.save(tmp_path / "s.json"))
    b = np.linspace(0, 1, 997)
    np.testing.assert_array_equal(again.policy(b), sol.policy(b))
    assert again.agent_model.to_dict() == sol.agent_model.to_dict()
