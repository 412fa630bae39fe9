"""The Monte Carlo step loop's shortcuts: the same numbers as the general path, and agreement
with an independent plain simulator (benchmarks/_plain_sim.py)."""

from __future__ import annotations

import numpy as np

import steerherd as sh
from benchmarks._plain_sim import plain_simulate
from steerherd.agents import Bayesian
from steerherd.model import Params
from steerherd.sim import simulate
from steerherd.sim.montecarlo import _action_probs, _step
from steerherd.sim.policies import step_realized


def test_the_follow_shortcut_gives_the_agent_models_numbers() -> None:
    rng = np.random.default_rng(0)
    b = rng.random(5000)
    for q in (np.full(5000, 1.0), 0.5 + 0.5 * rng.random(5000), np.maximum(b, 1 - b) + 1e-3):
        q = np.minimum(q, 1.0)
        g_g, g_b, follow = _action_probs(Bayesian(), b, q, None)
        ref_g, ref_b = Bayesian().action_probs(b, q)
        np.testing.assert_array_equal(g_g, ref_g)
        np.testing.assert_array_equal(g_b, ref_b)
        act = rng.random(5000) < g_g
        np.testing.assert_array_equal(_step(b, g_g, g_b, act, None, follow),
                                      step_realized(b, g_g, g_b, act, None))
    # Where some agents cascade the shortcut is not taken.
    assert not _action_probs(Bayesian(), np.array([0.9, 0.5]), np.array([0.8, 0.8]), None)[2]


def test_steerherd_and_the_plain_simulator_agree_within_4_standard_errors() -> None:
    params = Params(planner="biased", p=0.7, delta=0.9, cost=sh.LinearCost(0.5), prior=0.6)
    runs, agents = 40_000, 30
    for policy, table_q in (("full", 1.0), ("baseline", 0.7), (0.85, 0.85)):
        ours = simulate(policy, params, runs=runs, agents=agents, state="prior", seed=3)
        welfare, spend = plain_simulate(np.array([0.0, 1.0]), np.array([table_q, table_q]),
                                        params.p, params.C, params.delta, params.cost, runs,
                                        agents, params.prior, seed=11)
        for mine, theirs in ((ours.welfare_disc, welfare), (ours.spend_disc, spend)):
            se = np.hypot(mine.std(ddof=1), theirs.std(ddof=1)) / np.sqrt(runs)
            assert abs(mine.mean() - theirs.mean()) <= 4 * se + 1e-12, (policy, se)
