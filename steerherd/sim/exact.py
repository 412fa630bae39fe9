r"""Exact population statistics for a stationary policy, by enumerating the reachable beliefs.

For N agents and a fixed true state ω, the public belief before agent i has a finite
distribution: the reachable beliefs (at most 2^(i−1), far fewer once equal beliefs are
merged) with their probabilities. One step maps each belief b with mass m to its two
successors, with masses m·P(a | ω, b, q) for a ∈ {G, B}; the expected loss and cost of the
step are sums over the support. A belief whose agent cascades (its action is deterministic
and the same in both states, the Bayesian notion) is absorbing under a stationary policy:
its mass leaves the enumeration and its remaining N − i agents are added in closed form. Nothing
is sampled; the only approximation is merging beliefs that agree to within ``MERGE_TOL``.

The belief tree of a Bayesian or deterministic Behavioral agent lives on a lattice in
log-odds and merges heavily (N = 200 takes milliseconds). A noisy agent's successors do not
merge, the support doubles every step, and the computation stops with a ParameterError once
it exceeds ``max_support`` (use Monte Carlo there).

Results match :mod:`steerherd.sim.montecarlo` definition by definition: welfare (−C per
wrong action) and expenditure β(|q − p|), discounted (agent i weighted δ^(i−1)) and not; the
expected share of correct actions; the probabilities of a correct / wrong cascade by agent n
and of none by N. One-sided limits of a Solution are handled as in
:mod:`steerherd.sim.policies`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from steerherd.agents import AgentModel, Bayesian, check_probabilities
from steerherd.errors import ParameterError
from steerherd.model import Params
from steerherd.model.tolerances import MERGE_TOL  # noqa: F401  (the table of tolerances)
from steerherd.sim.montecarlo import check_size, check_state, discount_tail
from steerherd.sim.policies import effective_side, make_policy, step_beliefs
from steerherd.types import FloatArray


@dataclass(frozen=True)
class ExactResult:
    """Exact expectations for N agents (means over runs, as Monte Carlo estimates them).

    Attributes:
        welfare, welfare_disc: E[Σ −C·1(a_i ≠ ω)], undiscounted and δ-discounted.
        spend, spend_disc: E[Σ β(|q_i − p|)], likewise.
        correct_share: E[share of correct actions].
        objective_disc: the planner's own expected discounted reward over the N agents.
        p_cascade_correct, p_cascade_wrong, p_no_cascade: by agent N.
        cascade_correct_by, cascade_wrong_by: P(cascade by agent n), n = 1..N, shape (N,).
        max_support: largest number of distinct beliefs in the enumeration.
        seconds: wall time.
        meta: policy, agent, state, N, params.
    """

    welfare: float
    welfare_disc: float
    spend: float
    spend_disc: float
    correct_share: float
    objective_disc: float
    p_cascade_correct: float
    p_cascade_wrong: float
    p_no_cascade: float
    cascade_correct_by: FloatArray
    cascade_wrong_by: FloatArray
    max_support: int
    seconds: float
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        out = {k: v for k, v in self.__dict__.items() if not isinstance(v, np.ndarray)}
        out["cascade_correct_by"] = self.cascade_correct_by.tolist()
        out["cascade_wrong_by"] = self.cascade_wrong_by.tolist()
        return out


def exact_statistics(
    policy: Any,
    params: Params,
    agent: AgentModel | None = None,
    agents: int = 100,
    state: str = "B",
    max_support: int = 200_000,
) -> ExactResult:
    """Exact expected welfare, expenditure and cascade probabilities for N agents.

    Args:
        policy: any policy :func:`~steerherd.sim.policies.make_policy` accepts.
        params: the problem.
        agent: the agent model (default Bayesian).
        agents: N ≥ 1.
        state: ``"B"``, ``"G"`` or ``"prior"`` (a mixture with weight ``params.prior`` on G).
        max_support: refuse when the number of distinct reachable beliefs exceeds this.

    Raises:
        ParameterError: bad sizes or state, an unsupported policy, probabilities outside
            [0, 1], or a support above ``max_support``.
    """
    start = time.perf_counter()
    n_agents = check_size("agents", agents)
    state = check_state(state)
    check_size("max_support", max_support)
    agent = Bayesian() if agent is None else agent
    rule = make_policy(policy, params)
    weight_g = {"G": 1.0, "B": 0.0, "prior": params.prior}[state]
    stats = _enumerate(rule, params, agent, n_agents, weight_g, max_support)
    return ExactResult(**stats, seconds=time.perf_counter() - start,
                       meta={"agents": n_agents, "state": state, "agent": agent.to_dict(),
                             "policy": rule.description | {"name": rule.name},
                             "params": params.to_dict()})


def _enumerate(rule: Any, params: Params, agent: AgentModel, n_agents: int, weight_g: float,
               max_support: int) -> dict[str, Any]:
    b = np.array([params.prior])
    mass = np.array([[weight_g], [1.0 - weight_g]])  # rows: ω = G, ω = B
    tot = dict.fromkeys(("welfare", "welfare_disc", "spend", "spend_disc", "correct", "bad"), 0.0)
    casc_ok, casc_bad = np.zeros(n_agents), np.zeros(n_agents)
    largest = 1
    for i in range(n_agents):
        q, side = rule(b)
        g_g, g_b = agent.action_probs(b, q, effective_side(agent, b, q, side))
        g_g, g_b = np.broadcast_to(g_g, b.shape), np.broadcast_to(g_b, b.shape)
        check_probabilities(getattr(agent, "name", "agent"), g_g, g_b)
        p_right = np.stack([g_g, 1.0 - g_b])  # P(correct action | ω) per belief
        cost = params.cost(np.abs(q - params.p))
        # Exact comparisons, as in Monte Carlo: only a certain, state-independent action is
        # absorbing; anything short of it must keep branching for the result to be exact.
        frozen = (g_g == g_b) & ((g_g == 0.0) | (g_g == 1.0))
        # Agents i..N−1 (0-based) from a frozen belief all act alike; others only agent i.
        reps = np.where(frozen, n_agents - i, 1.0)
        disc = np.where(frozen, discount_tail(params.delta, np.float64(i), n_agents),
                        params.delta**i)
        m_all = mass.sum(axis=0)
        wrong = (mass * (1.0 - p_right)).sum(axis=0)
        tot["welfare"] -= params.C * float(np.sum(reps * wrong))
        tot["welfare_disc"] -= params.C * float(np.sum(disc * wrong))
        tot["spend"] += float(np.sum(reps * cost * m_all))
        tot["spend_disc"] += float(np.sum(disc * cost * m_all))
        tot["correct"] += float(np.sum(reps * (mass * p_right).sum(axis=0)))
        tot["bad"] += float(np.sum(disc * (mass[0] * (1.0 - g_g) + mass[1] * (1.0 - g_b))))
        if frozen.any():
            casc_ok[i] = float((mass[:, frozen] * p_right[:, frozen]).sum())
            casc_bad[i] = float((mass[:, frozen] * (1.0 - p_right[:, frozen])).sum())
        live = ~frozen
        if not live.any() or i == n_agents - 1:
            break
        b, mass = _successors(b[live], g_g[live], g_b[live], mass[:, live],
                              None if side is None else side[live])
        largest = max(largest, b.size)
        if b.size > max_support:
            raise ParameterError(
                f"the reachable beliefs exceed max_support={max_support} at agent {i + 2}: "
                "this agent model's beliefs do not merge (noisy agents); use Monte Carlo"
            )
    by_ok, by_bad = np.cumsum(casc_ok), np.cumsum(casc_bad)
    return {"welfare": tot["welfare"], "welfare_disc": tot["welfare_disc"],
            "spend": tot["spend"], "spend_disc": tot["spend_disc"],
            "correct_share": tot["correct"] / n_agents,
            "objective_disc": (tot["welfare_disc"] - tot["spend_disc"]
                               if params.altruistic
                               else -params.C * tot["bad"] - tot["spend_disc"]),
            "p_cascade_correct": float(by_ok[-1]), "p_cascade_wrong": float(by_bad[-1]),
            # Clipped: the two cascade sums may exceed 1 by rounding (a few 1e-16).
            "p_no_cascade": float(min(1.0, max(0.0, 1.0 - by_ok[-1] - by_bad[-1]))),
            "cascade_correct_by": by_ok, "cascade_wrong_by": by_bad, "max_support": largest}


def _successors(b: FloatArray, g_g: FloatArray, g_b: FloatArray, mass: FloatArray,
                side: Any) -> tuple[FloatArray, FloatArray]:
    """Both successors of every belief with their masses, equal beliefs merged."""
    succ_g, succ_b = step_beliefs(b, g_g, g_b, side)
    p_act_g = np.stack([g_g, g_b])  # P(a = G | ω) for ω = G, B
    nb = np.concatenate([succ_g, succ_b])
    nm = np.concatenate([mass * p_act_g, mass * (1.0 - p_act_g)], axis=1)
    # Successors of impossible actions carry no mass in either state: they are never
    # reached, and kept they would count towards max_support.
    keep = nm.sum(axis=0) > 0.0
    nb, nm = nb[keep], nm[:, keep]
    # Merge by rounding to a MERGE_TOL lattice: the same belief reached along two paths
    # differs only by rounding, and an integer key makes the merge one np.unique.
    key = np.rint(nb / MERGE_TOL).astype(np.int64)
    uniq, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    merged = np.stack([np.bincount(inverse, weights=row, minlength=uniq.size)
                       for row in nm]).astype(np.float64)
    return nb[first], merged
