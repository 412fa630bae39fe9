"""Policy rules: solutions, tables and callables as played by simulated agents."""

from __future__ import annotations

import numpy as np

import steerherd as sh
from steerherd.agents import Bayesian, Behavioral
from steerherd.sim import PolicyTable, make_policy, simulate
from steerherd.sim.policies import effective_side
from tests.sim_cases import P


def test_rule_matches_solution_policy(biased_sol: sh.Solution) -> None:
    rng = np.random.default_rng(0)
    bps = np.array(biased_sol.grid.breakpoints)
    b = np.concatenate([rng.random(5000), biased_sol.belief, bps, bps + 1e-9, bps - 1e-9])
    q, side = make_policy(biased_sol, P)(b)
    np.testing.assert_array_equal(q, biased_sol.policy(b))
    assert set(np.unique(side)) <= {-1, 0, 1}


def test_table_and_callable_policies_agree() -> None:
    table = PolicyTable((0.0, 0.5, 1.0), (0.7, 0.9, 0.7))
    fn = lambda b: np.interp(b, [0.0, 0.5, 1.0], [0.7, 0.9, 0.7])  # noqa: E731
    a = simulate(table, P, runs=3000, agents=20, seed=3)
    b = simulate(fn, P, runs=3000, agents=20, seed=3)
    np.testing.assert_array_equal(a.welfare, b.welfare)


def test_limit_side_near_one_half_is_per_agent(biased_sol: sh.Solution) -> None:
    # Just above 1/2 the Bayesian optimum obfuscates (q ↑ b). A Bayesian agent takes the
    # limit and cascades; a Behavioral agent's own switching precision is lower, so q is an
    # ordinary precision to it, though both differ from b by only ~1e-9.
    b = np.array([0.5 + 1e-9])
    q, side = make_policy(biased_sol, P)(b)
    assert side[0] == -1
    assert effective_side(Bayesian(), b, q, side)[0] == -1  # type: ignore[index]
    assert effective_side(Behavioral(1.0, 0.7, 2.5), b, q, side)[0] == 0  # type: ignore[index]
