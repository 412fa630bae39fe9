"""Monte Carlo: intervals, common random numbers, limits and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import steerherd as sh
from steerherd.agents import Bayesian, Behavioral
from steerherd.errors import ParameterError
from steerherd.sim import make_policy, simulate
from steerherd.sim.exact import exact_statistics
from steerherd.sim.policies import effective_side
from tests.sim_cases import FLOAT_TOL, P


def test_monte_carlo_intervals_cover_exact_values_at_nominal_rate(biased_sol: sh.Solution) -> None:
    seeds, level = 60, 0.95
    z = stats.norm.ppf(0.5 + level / 2)
    # Fewer than this many covering intervals out of 60 has probability < 1e-3 at 95%.
    need = stats.binom.ppf(1e-3, seeds, level)
    cases = ((biased_sol, Bayesian()), (0.8, Behavioral(1.0, 0.6, 2.0)),
             (biased_sol, Behavioral(1.0, 0.7, 2.5)))  # the last is a hybrid cell
    for policy, agent in cases:
        ex = exact_statistics(policy, P, agent=agent, agents=30, state="prior")
        hits = {k: 0 for k in ("welfare", "welfare_disc", "p_cascade_correct", "correct_share")}
        for seed in range(seeds):
            summ = simulate(policy, P, agent=agent, runs=1500, agents=30, state="prior",
                            seed=seed).summary()
            for k in hits:
                hits[k] += abs(summ[k]["mean"] - getattr(ex, k)) <= z * summ[k]["se"] + FLOAT_TOL
        for k, h in hits.items():
            assert h >= need, (policy, k, h)


def test_common_random_numbers_pair_policies() -> None:
    a = simulate("baseline", P, runs=4000, agents=40, seed=7)
    b = simulate(0.8, P, runs=4000, agents=40, seed=7)
    again = simulate("baseline", P, runs=4000, agents=40, seed=7)
    np.testing.assert_array_equal(a.welfare, again.welfare)
    np.testing.assert_array_equal(a.omega_good, b.omega_good)
    paired = np.std(a.welfare - b.welfare, ddof=1)
    unpaired = np.sqrt(np.var(a.welfare, ddof=1) + np.var(b.welfare, ddof=1))
    assert paired < 0.8 * unpaired
    threads = simulate(0.8, P, runs=20000, agents=40, seed=7, workers=2)
    single = simulate(0.8, P, runs=20000, agents=40, seed=7)
    np.testing.assert_array_equal(threads.welfare, single.welfare)


def test_prior_state_draws_omega_from_the_prior() -> None:
    res = simulate("baseline", P.replace(prior=0.3), runs=20000, agents=5, state="prior", seed=1)
    share = res.omega_good.mean()
    assert abs(share - 0.3) < 4 * np.sqrt(0.3 * 0.7 / 20000)


def test_obfuscation_is_simulated_as_the_limit(biased_sol: sh.Solution) -> None:
    # In (1/2, p) the biased planner picks q ↑ b: Bayesian agents cascade on G at once.
    res = simulate(biased_sol, P.replace(prior=0.6), runs=500, agents=10, state="B", seed=0)
    assert np.all(res.cascade_time == 1) and np.all(res.cascade_side == 1)
    # The same limit is an ordinary precision to an agent that switches below it (hybrid).
    agent = Behavioral(w_disagree=2.0)
    b = np.array([0.6])
    q, side = make_policy(biased_sol, P)(b)
    assert side[0] == -1 and effective_side(agent, b, q, side) is not None
    assert effective_side(agent, b, q, side)[0] == 0
    hybrid = simulate(biased_sol, P.replace(prior=0.6), agent=agent, runs=500, agents=1,
                      state="B", seed=0)
    assert np.isnan(hybrid.cascade_time).all()


class _Broken:
    name = "broken"

    def action_probs(self, b, q, side=None):  # type: ignore[no-untyped-def]
        return np.full(np.shape(b), 1.5), np.zeros(np.shape(b))

    def critical_precision(self, b):  # type: ignore[no-untyped-def]
        return None

    def breakpoints(self, params):  # type: ignore[no-untyped-def]
        return ()

    def to_dict(self):  # type: ignore[no-untyped-def]
        return {"model": "broken"}


@pytest.mark.parametrize(
    "kwargs, match",
    [({"runs": 0}, "runs"), ({"agents": 0}, "agents"), ({"state": "X"}, "state"),
     ({"policy": {"b": [0.1, 1.0], "q": [0.7, 0.7]}}, "cover"), ({"policy": 1.2}, "constant"),
     ({"policy": lambda b: b * 0 + 0.2}, "precision"), ({"agent": _Broken()}, "probabilit"),
     ({"policy": "nope"}, "unknown policy")],
)
def test_bad_input_is_refused(kwargs: dict, match: str) -> None:
    args = {"policy": "baseline", "runs": 10, "agents": 5} | kwargs
    with pytest.raises(ParameterError, match=match):
        simulate(args.pop("policy"), P, **args)
