"""The value reported at a belief is the value of the policy reported there (issue 15, point 4).

Against a non-Bayesian agent the biased planner's Q(b, ·) is discontinuous at two precisions:
the agent's own switching precision and max(b, 1 − b), where a successor belief crosses 1/2
(the value jumps there). From b = 1 − p the free signal lands exactly on 1/2. The reported
value V(b) at b = 1 − p, 1/2 and p must equal the discounted reward of playing the reported
policy from b, measured by Monte Carlo (within 4 standard errors), both as exact limits (the
simulator's side semantics) and as real precisions (``sol.policy(b, margin=...)``).
"""

from __future__ import annotations

import numpy as np
import pytest

import steerherd as sh
from steerherd.agents import AgentModel, Bayesian, Behavioral
from steerherd.dp.bellman import transitions_for
from steerherd.dp.limits import PolicyChoice
from steerherd.dp.solve import build_problem
from steerherd.model import Params
from steerherd.model.costs import LinearCost, PowerCost
from steerherd.sim.montecarlo import simulate

AGENTS: list[AgentModel] = [
    Bayesian(),
    Behavioral(1.0, 0.7, 2.5),  # the issue's case: NB1 + NB2, cascades late
    Behavioral(1.0, 0.5, 1.5),
    Behavioral(1.0, 1.0, 0.8),  # over-weights the public belief: cascades early
    Behavioral(0.8, 1.2, 1.0),
    Behavioral(1.0, 0.7, 2.5, lam=0.1),  # with choice noise: no switching precision, no limits
]
PROBLEMS = [
    Params(planner="biased", p=0.7, delta=0.9, cost=LinearCost(0.5)),
    Params(planner="biased", p=0.65, delta=0.8, cost=PowerCost(k=0.6, alpha=0.5)),
    Params(planner="altruistic", p=0.7, delta=0.9, cost=LinearCost(0.3)),
]
RUNS, N_AGENTS, MARGIN = 20_000, 400, 1e-7


def _with_prior(params: Params, prior: float) -> Params:
    data = params.to_dict()
    data["prior"] = prior
    return Params.from_dict(data)


@pytest.mark.parametrize("params", PROBLEMS, ids=["biased-linear", "biased-power", "altruistic"])
@pytest.mark.parametrize("agent", AGENTS, ids=repr)
def test_reported_value_is_the_reported_policys_value(params: Params, agent: AgentModel) -> None:
    sol = sh.solve(params, beliefs=2001, precisions=201, agent=agent)
    # A noisy agent never cascades, so its runs cost N steps each: fewer, shorter runs (δ^200
    # < 1e-9 here), and no limits to play with a margin.
    noisy = agent.critical_precision(np.array([0.5])) is None
    runs, n_agents = (4_000, 200) if noisy else (RUNS, N_AGENTS)
    for b in (1.0 - params.p, 0.5, params.p):
        v = float(sol.value(b))
        par = _with_prior(params, b)
        played = {"limit": simulate(sol, par, agent=agent, runs=runs, agents=n_agents,
                                    state="prior", seed=7)}
        if not noisy:
            played["margin"] = simulate(lambda x: sol.policy(x, margin=MARGIN), par,
                                        agent=agent, runs=runs, agents=n_agents,
                                        state="prior", seed=7)
        # Playing q ± margin instead of the limit costs at most β(margin) more per agent (β
        # concave, β(0) = 0) and moves each successor by O(margin): a budget of
        # (β(margin) + 10·margin)/(1 − δ), which is what "within β's modulus" means here.
        slack = {"limit": 1e-9, "margin": (float(params.cost(MARGIN)) + 10 * MARGIN)
                 / (1.0 - params.delta)}
        for how, res in played.items():
            s = res.summary()["objective_disc"]
            assert abs(s["mean"] - v) <= 4 * s["se"] + slack[how], (how, b, v, s,
                                                                    str(sol.mode(b)))


def test_issue_case_escapes_at_one_minus_p() -> None:
    """The issue's instance: at b = 1 − p the free signal sends the belief to exactly 1/2,
    the point value; the supremum is q ↓ 1 − b (mode escape), worth V(1/2 + 0)."""
    params = Params(planner="biased", p=0.7, delta=0.9, cost=LinearCost(0.5), prior=0.3)
    agent = Behavioral(1, 0.7, 2.5)
    sol = sh.solve(params, beliefs=2001, precisions=201, agent=agent)
    choice = sol.policy(0.3)
    assert isinstance(choice, PolicyChoice)
    assert str(sol.mode(0.3)) == "escape"
    assert float(choice) == pytest.approx(0.7) and int(choice.side) == 1
    # The baseline at b = 1 − p is worth less: one Bellman step at the point 1/2 itself.
    prob = build_problem(params, beliefs=2001, precisions=201, agent=agent)
    node = np.array([int(prob.grid.node_index(1.0 - params.p, 0))])
    b = prob.grid.belief[node]
    q_p = np.array([[params.p]])
    r, lo_g, lo_b, w = transitions_for(params, prob.grid, b, node, q_p, np.zeros((1, 1), int),
                                       agent)
    vp = np.append(sol.V, 0.0)
    ev = w[0] * vp[lo_g] + w[1] * vp[lo_g + 1] + w[2] * vp[lo_b] + w[3] * vp[lo_b + 1]
    baseline = float((r + params.delta * ev)[0, 0])
    assert baseline < float(sol.value(0.3)) - 0.3  # ≈ −4.89 against ≈ −4.55


def test_policy_margin_is_validated_and_plays_the_right_side() -> None:
    params = Params(planner="biased", p=0.7, delta=0.5, cost=LinearCost(0.5))
    sol = sh.solve(params, beliefs=401, precisions=101)
    b = np.array([0.3, 0.6, 0.9])
    choice = sol.policy(b)
    played = sol.policy(b, margin=1e-4)
    np.testing.assert_allclose(played, np.asarray(choice) + 1e-4 * choice.side)
    assert list(choice.side) == [1, -1, 0]
    for bad in (0.0, -1e-3, 0.5, "x", True):
        with pytest.raises(sh.ParameterError, match="margin"):
            sol.policy(b, margin=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("agent", AGENTS[:3], ids=repr)
def test_other_only_for_interior_optima_and_json_carries_the_side(agent: AgentModel) -> None:
    from steerherd.dp.bellman import KIND_CROSS, KIND_GRID, KIND_REFINED, LIMIT_KINDS

    params = Params(planner="biased", p=0.7, delta=0.9, cost=LinearCost(0.5))
    sol = sh.solve(params, beliefs=801, precisions=101, agent=agent)
    other = sol.modes == "other"
    assert np.all(np.isin(sol.kind[other], (KIND_GRID, KIND_REFINED, KIND_CROSS)))
    limits = np.isin(sol.kind, LIMIT_KINDS)
    assert set(sol.modes[limits]) <= {"obfuscate", "escape", "tip"}
    data = sol.to_dict()
    side = np.array(data["limit_side"])
    assert np.array_equal(side != 0, limits) and np.array_equal(~limits, data["attained"])
    node = int(sol.grid.node_index(1.0 - params.p, 0))
    assert data["mode"][node] == "escape" and side[node] == 1  # Thm 5's last-ditch escape


@pytest.mark.parametrize("agent", AGENTS, ids=repr)
def test_fast_solver_matches_the_full_one_for_every_agent(agent: AgentModel) -> None:
    """The default (fast) solver solves the same grid problem: the crossing candidates c, c±
    with their behaviour side, and nodes at 1 − p and p, for non-Bayesian agents too."""
    params = Params(planner="biased", p=0.7, delta=0.9, cost=LinearCost(0.5))
    fast = sh.solve(params, beliefs=801, precisions=101, agent=agent, method="fast")
    full = sh.solve(params, beliefs=801, precisions=101, agent=agent, method="pi")
    assert np.array_equal(fast.belief, full.belief)
    np.testing.assert_allclose(fast.V, full.V, atol=1e-9)
    assert np.array_equal(fast.kind, full.kind) and np.array_equal(fast.q, full.q)


def test_llm_planner_percent_plays_a_limit_from_above_from_above() -> None:
    """The LLM experiments hand the optimum to agents as a whole percent: a limit from above
    (escape, tip) must land strictly above max(b, 1 − b), where the agent follows its signal
    and a favourable signal moves the belief past 1/2."""
    from steerherd.llm.experiments import optimal_percent

    params = Params(planner="biased", p=0.7, delta=0.9, cost=LinearCost(0.5))
    sol = sh.solve(params, beliefs=801, precisions=101)
    seen = set()
    for b in np.linspace(0.02, 0.49, 48):
        mode = str(sol.mode(b))
        if mode in ("escape", "tip"):
            seen.add(mode)
            pct = optimal_percent(params, sol, float(b))
            assert pct / 100 > max(b, 1 - b) and pct / 100 <= float(sol.policy(b)) + 0.01 + 1e-9
    assert seen == {"escape", "tip"}
