"""The exact chain: closed forms and the solved value, with no sampling."""

from __future__ import annotations

import numpy as np
import pytest

import steerherd as sh
from steerherd.agents import Behavioral
from steerherd.errors import ParameterError
from steerherd.model import Params
from steerherd.sim import simulate
from steerherd.sim.exact import exact_statistics
from tests.sim_cases import P

#: ETA · |V'| / (1 − δ) = 1e-9 · 10 · 10: the one-sided node's error bound (see below).
ONE_SIDED_NODE_ERROR = 1e-7


def test_constant_policy_cascade_probability_has_a_closed_form() -> None:
    # Bayesian agents at constant q from b = 1/2: the signal count difference is a random walk
    # absorbed at ±2 (b = q is a tie and followed), so P(correct cascade) = q²/(q² + (1−q)²).
    q = 0.7
    ex = exact_statistics(q, Params(p=0.7), agents=200, state="B")
    assert ex.p_cascade_correct == pytest.approx(q**2 / (q**2 + (1 - q) ** 2), abs=1e-12)
    assert ex.p_no_cascade == pytest.approx(0.0, abs=1e-12)


def test_exact_objective_equals_the_solved_value(biased_sol: sh.Solution) -> None:
    # E Σ δ^(i−1) r over 300 agents from the prior is V(prior) up to δ^300 ≈ 2e-14 and the
    # one-sided node's offset: V(1/2) is evaluated at 1/2 ± ETA, an error ≤ ETA·|V'|/(1 − δ)
    # with |V'| ≤ 10 here, so ≤ 1e-7 (measured 6.6e-9 biased, 0 altruistic). The played
    # policy's prior value is a node value, so no interpolation error enters.
    ex = exact_statistics(biased_sol, P, agents=300, state="prior")
    assert ex.objective_disc == pytest.approx(float(biased_sol.value(P.prior)),
                                              abs=ONE_SIDED_NODE_ERROR)
    alt = P.replace(planner="altruistic", cost=sh.LinearCost(1.5))
    sol = sh.solve(alt, beliefs=401, precisions=81)
    ex = exact_statistics(sol, alt, agents=300, state="prior")
    assert ex.objective_disc == pytest.approx(float(sol.value(0.5)), abs=ONE_SIDED_NODE_ERROR)


def test_noisy_agents_are_refused_by_exact_but_simulated() -> None:
    agent = Behavioral(1.0, 0.6, 2.0, lam=0.5)
    with pytest.raises(ParameterError, match="max_support"):
        exact_statistics("baseline", P, agent=agent, agents=200, max_support=1000)
    res = simulate("baseline", P, agent=agent, runs=100, agents=50, seed=0)
    assert np.isnan(res.cascade_time).all()
