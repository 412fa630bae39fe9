r"""Monte Carlo: R runs × N agents, vectorised over runs (a loop over agents, numpy over runs).

Each run fixes the true state ω (G, B, or drawn from ``params.prior``), then agents act in
turn: the planner picks q = policy(b) from the public belief b, the agent takes G with
probability P(G | ω, b, q) of the agent model, and an observer who knows the agent model
updates b by Bayes' rule from (q, a) (:func:`~steerherd.sim.policies.step_beliefs`).

**Common random numbers.** Runs are cut into blocks of ``BLOCK`` runs (for cache locality),
each with its own generator spawned from ``rng`` (``Generator.spawn``). In a block, every run
draws one uniform u₀ for ω (drawn even when ω is fixed) and then one uniform u_i per agent,
for the whole block at every step; ω = G iff u₀ < prior and agent i takes G iff
u_i < P(G | ω, b_i, q_i). The draws do not depend on the policy, the agent model or the
number of threads, so two calls with the same seed and R see the same ω and the same u_i:
comparisons between policies are paired (inverse-CDF coupling of the actions).

**Cascades.** Agent i is in a cascade when its action is deterministic and the same in both
states (P(G | G) = P(G | B) ∈ {0, 1}): the action reveals nothing, the belief stops, and under
a stationary policy every later agent does the same. Such runs are finished in closed form
(the remaining per-agent loss and cost are constants), which is exact, not an approximation.
A noisy agent never cascades in this sense (its cascade time is NaN).

**The step loop** does what a plain vectorised numpy simulator does, with fewer passes over
the block: Bayesian agents who all follow their signal (no limit sides) get (q, 1 − q)
without the cascade branch, the Bayes update skips its zero-denominator guard when no
denominator is 0, and wrong actions are counted (welfare = −C·count, correct share from the
same count). Draws, actions, beliefs and cascade times are the same numbers as the general
path (tested); welfare may differ from a sum of −C terms by rounding (~1e-14) when C is not
an integer. Probabilities are checked at every step only for agent models other than the
built-in ``Bayesian`` and ``Behavioral`` (theirs are in [0, 1] for q ∈ [1/2, 1]).
``benchmarks/bench_sim.py`` times it against such a plain simulator (``_plain_sim.py``).

Per run: welfare (agents' utility: −C per wrong action) discounted with ``params.delta``
(agent i weighted δ^(i−1)) and undiscounted; planner expenditure β(|q − p|) likewise; the
share of correct actions; the planner's own discounted objective (its reward over the N
agents, which tends to V(prior) as N grows when ω is drawn from the prior); cascade time
(1-based index of the first agent in a cascade, NaN if none by N), side (+1 G, −1 B, 0 none)
and correctness.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from steerherd.agents import AgentModel, Bayesian, Behavioral, check_probabilities
from steerherd.errors import ParameterError
from steerherd.model import TIE_TOL, Params
from steerherd.sim.policies import PolicyRule, effective_side, make_policy, step_realized
from steerherd.sim.summaries import Summary, mean_se
from steerherd.types import ArrayLike, BoolArray, FloatArray

STATES = ("B", "G", "prior")
#: Runs per block: arrays of a block stay in cache; fixed, so that results do not depend on it.
BLOCK = 8192
#: Built-in agent models: their probabilities are in [0, 1] for every q in [0.5, 1], so the
#: simulator checks only other (user) models' probabilities at every step.
_BUILT_IN = (Bayesian, Behavioral)
_ACC = ("welfare", "welfare_disc", "spend", "spend_disc", "correct", "bad_disc")
METRICS = ("welfare", "welfare_disc", "spend", "spend_disc", "correct_share", "objective_disc")


@dataclass(frozen=True, eq=False)
class SimResult:
    """Per-run outcomes of :func:`simulate` (arrays of length R) and how they were made."""

    omega_good: BoolArray
    welfare: FloatArray
    welfare_disc: FloatArray
    spend: FloatArray
    spend_disc: FloatArray
    correct_share: FloatArray
    objective_disc: FloatArray
    cascade_time: FloatArray
    cascade_side: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def runs(self) -> int:
        """Number of runs R."""
        return int(self.welfare.size)

    @property
    def cascade_correct(self) -> BoolArray:
        """Runs that cascaded on the true state by agent N."""
        runs: BoolArray = (self.cascade_side != 0) & ((self.cascade_side > 0) == self.omega_good)
        return runs

    @property
    def cascade_wrong(self) -> BoolArray:
        """Runs that cascaded on the wrong state by agent N."""
        runs: BoolArray = (self.cascade_side != 0) & ((self.cascade_side > 0) != self.omega_good)
        return runs

    def summary(self) -> Summary:
        """Mean and standard error (std/√R) of every metric and cascade probability.

        A flat table (one row per metric; ``print`` it, or ``.to_pandas()`` with pandas) that
        indexes like a dict: ``summary()["welfare"]["mean"]``.
        """
        out = Summary({m: _mean_se(getattr(self, m)) for m in METRICS})
        out["p_cascade_correct"] = _mean_se(self.cascade_correct.astype(float))
        out["p_cascade_wrong"] = _mean_se(self.cascade_wrong.astype(float))
        out["p_no_cascade"] = _mean_se((self.cascade_side == 0).astype(float))
        hit = np.isfinite(self.cascade_time)
        out["cascade_time_given_cascade"] = (_mean_se(self.cascade_time[hit]) if hit.any()
                                             else {"mean": float("nan"), "se": float("nan")})
        return out

    def to_dict(self) -> dict[str, Any]:
        """Summary and metadata (not the per-run arrays)."""
        return {"meta": self.meta, "summary": dict(self.summary())}

    def to_pandas(self) -> Any:
        """The summary table as a ``pandas.DataFrame`` (needs the optional pandas)."""
        return self.summary().to_pandas()


def _mean_se(x: FloatArray) -> dict[str, float]:
    mean, se = mean_se(x)
    return {"mean": mean, "se": se}


def check_size(name: str, value: object) -> int:
    """A whole number ≥ 1, or ParameterError."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ParameterError(f"{name} must be a whole number >= 1, got {value!r}")
    return int(value)


def check_state(state: str) -> str:
    """One of ``B``, ``G``, ``prior``, or ParameterError."""
    if state not in STATES:
        raise ParameterError(f"state must be one of {list(STATES)}, got {state!r}")
    return state


def discount_tail(delta: float, start: ArrayLike, stop: int) -> FloatArray:
    """Σ_{j=start}^{stop−1} δ^j for 0-based agent indices (with 0⁰ = 1)."""
    j: FloatArray = np.asarray(start, dtype=np.float64)
    if delta == 1.0:
        return stop - j
    if delta == 0.0:
        first: FloatArray = (j == 0).astype(np.float64) * (stop > 0)
        return first
    return (delta**j - delta**stop) / (1.0 - delta)


def simulate(
    policy: Any,
    params: Params,
    agent: AgentModel | None = None,
    runs: int = 1000,
    agents: int = 100,
    state: str = "B",
    rng: np.random.Generator | None = None,
    seed: int | None = None,
    workers: int = 1,
) -> SimResult:
    """Simulate R runs of N agents under a stationary policy.

    Args:
        policy: a Solution, a constant precision, ``"baseline"``, ``"full"``, ``"myopic"``, a
            policy table or a callable b ↦ q (see :mod:`steerherd.sim.policies`).
        params: the problem (p, C, δ, β, prior).
        agent: the simulated agents (default Bayesian).
        runs: R ≥ 1.
        agents: N ≥ 1.
        state: ``"B"``, ``"G"`` or ``"prior"`` (ω ~ Bernoulli(params.prior) per run).
        rng: the random generator; if None, ``numpy.random.default_rng(seed)``.
        seed: the seed when ``rng`` is None (default 0); recorded in ``meta["seed"]``. With a
            caller's ``rng`` the seed recorded is the one passed here (None if none was),
            and ``meta["rng"]`` says that the caller's generator was used.
        workers: threads over blocks of runs (numpy releases the GIL in its loops).

    Returns:
        Per-run outcomes; ``meta`` records the seed, sizes, state, policy and agent.

    Raises:
        ParameterError: for R < 1, N < 1, an unknown state, an unsupported policy, or an agent
            model whose probabilities leave [0, 1].
    """
    runs, n_agents = check_size("runs", runs), check_size("agents", agents)
    state = check_state(state)
    workers = check_size("workers", workers)
    agent = Bayesian() if agent is None else agent
    rule = make_policy(policy, params)
    origin = "caller" if rng is not None else "seed"
    if rng is None:
        seed = 0 if seed is None else seed
        rng = np.random.default_rng(seed)
    sizes = [min(BLOCK, runs - s) for s in range(0, runs, BLOCK)]
    # One spawned generator per block, not one shared stream: the draws of a block then do
    # not depend on the order in which threads run the blocks (same seed, same results).
    gens = rng.spawn(len(sizes))
    jobs = [(n, g) for n, g in zip(sizes, gens, strict=True)]

    def run(job: tuple[int, np.random.Generator]) -> dict[str, np.ndarray]:
        return _simulate_block(rule, params, agent, job[0], n_agents, state, job[1])

    if workers > 1 and len(jobs) > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            parts = list(pool.map(run, jobs))
    else:
        parts = [run(job) for job in jobs]
    out = {k: np.concatenate([part[k] for part in parts]) for k in parts[0]}
    return SimResult(
        omega_good=out["omega"],
        welfare=out["welfare"], welfare_disc=out["welfare_disc"],
        spend=out["spend"], spend_disc=out["spend_disc"],
        correct_share=out["correct"] / n_agents,
        objective_disc=_objective(params, out),
        cascade_time=out["cascade_time"], cascade_side=out["cascade_side"],
        meta={"seed": seed, "rng": origin, "runs": runs, "agents": n_agents, "state": state,
              "policy": rule.description | {"name": rule.name}, "agent": agent.to_dict(),
              "params": params.to_dict(), "block": BLOCK},
    )


def _simulate_block(
    rule: PolicyRule, params: Params, agent: AgentModel, runs: int, n_agents: int, state: str,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """One block of runs (the loop over agents; numpy over the block's runs)."""
    # u₀ is drawn even when ω is fixed, so agent i's uniform sits at the same place in the
    # stream whatever ``state`` is: runs stay paired across states and policies.
    u0 = rng.random(runs)
    omega = {"G": np.ones(runs, bool), "B": np.zeros(runs, bool), "prior": u0 < params.prior}[state]
    out = {m: np.zeros(runs) for m in _ACC}
    ctime = np.full(runs, np.nan)
    cside = np.zeros(runs, dtype=np.int8)
    # The active runs, compacted: index into the outputs, belief, state and accumulators.
    idx = np.arange(runs)
    b = np.full(runs, params.prior, dtype=np.float64)
    om = omega.copy()
    acc = np.zeros((5, runs))  # wrong actions, welfare_disc, spend, spend_disc, B discounted
    delta, loss, p = params.delta, params.C, params.p
    checked = not isinstance(agent, _BUILT_IN)
    biased = not params.altruistic
    for i in range(n_agents):
        # Drawn for every run, finished or not, then subset: a run's u_i must not depend on
        # which other runs have cascaded (that would break common random numbers).
        u = rng.random(runs)
        if idx.size < runs:
            u = u[idx]
        q, side = rule(b)
        g_g, g_b, follow = _action_probs(agent, b, q, side)
        if checked:
            check_probabilities(getattr(agent, "name", "agent"), g_g, g_b)
        # Inverse-CDF coupling: the same u_i under two policies gives G under both whenever
        # it is below both probabilities, so paired differences have small variance.
        act = u < np.where(om, g_g, g_b)
        wrong = act != om
        cost = params.cost(np.abs(q - p))
        # 0.0**0 == 1: the myopic planner weighs the first agent only.
        weight = delta**i
        acc[0] += wrong
        acc[1] -= (loss * weight) * wrong
        acc[2] += cost
        acc[3] += weight * cost
        if biased:
            acc[4] += weight * ~act
        # Exact comparisons on purpose: the closed-form finish is exact only when the action
        # is certain and state-independent; a probability of 1 − 1e-17 must keep simulating.
        same = g_g == g_b  # (a cheap test first: most steps have no cascading run)
        frozen = same & ((g_g == 0.0) | (g_g == 1.0)) if same.any() else same
        if frozen.any():  # agents i+1..N−1 of these runs act alike: add them in closed form
            f, done = frozen, idx[frozen]
            tail = acc[:, f]
            _accumulate(tail, n_agents - i - 1, float(discount_tail(delta, i + 1, n_agents)),
                        loss, wrong[f], act[f], cost[f])
            _store(out, done, tail, loss, n_agents)
            ctime[done] = i + 1
            cside[done] = np.where(g_g[f] == 1.0, 1, -1)
            # Compact: finished runs leave the arrays, so later agents cost only live runs.
            keep = ~f
            idx, b, om, acc = idx[keep], b[keep], om[keep], acc[:, keep]
            g_g, g_b, act = g_g[keep], g_b[keep], act[keep]
            side = None if side is None else side[keep]
            if idx.size == 0:
                break
        b = _step(b, g_g, g_b, act, side, follow)
    _store(out, idx, acc, loss, n_agents)
    return out | {"omega": omega, "cascade_time": ctime, "cascade_side": cside}


def _action_probs(agent: AgentModel, b: FloatArray, q: FloatArray,
                  side: np.ndarray | None) -> tuple[FloatArray, FloatArray, bool]:
    """``agent.action_probs`` at the side that matters to it, as arrays of b's shape.

    Also whether they are (q, 1 − q) with q ∈ [1/2, 1] everywhere (every agent follows its
    signal).

    For Bayesian agents without limits, where every agent follows its signal, the result is
    computed without the cascade branch (the same numbers, fewer passes).
    """
    eff = effective_side(agent, b, q, side)
    if eff is None and type(agent) is Bayesian:
        if q.shape != b.shape:
            q = np.broadcast_to(q, b.shape)
        if (q >= np.maximum(b, 1.0 - b) - TIE_TOL).all():
            return q, 1.0 - q, True
    g_g, g_b = agent.action_probs(b, q, eff)
    if g_g.shape != b.shape:
        g_g = np.broadcast_to(g_g, b.shape)
    if g_b.shape != b.shape:
        g_b = np.broadcast_to(g_b, b.shape)
    return g_g, g_b, False


def _step(b: FloatArray, g_g: FloatArray, g_b: FloatArray, act: np.ndarray,
          side: np.ndarray | None, follow: bool) -> FloatArray:
    """``step_realized`` (the same numbers), skipping its guard in the usual case.

    The guard is skipped where every action taken has positive probability under the belief
    (the denominator).

    With ``follow`` (g_b = 1 − g_g, g_g ∈ [1/2, 1]) the complements are the other array:
    1 − (1 − q) = q exactly for q ∈ [1/2, 1] (Sterbenz), so the numbers are the same.
    """
    if side is not None and np.any(side):
        return step_realized(b, g_g, g_b, act, side)
    if follow:
        num = b * np.where(act, g_g, g_b)
        den = num + (1.0 - b) * np.where(act, g_b, g_g)
    else:
        num = b * np.where(act, g_g, 1.0 - g_g)
        den = num + (1.0 - b) * np.where(act, g_b, 1.0 - g_b)
    if den.min() > 0.0:
        return num / den
    return step_realized(b, g_g, g_b, act, side)


def _accumulate(acc: FloatArray, count: float, weight: float, loss: float, wrong: np.ndarray,
                act: np.ndarray, cost: FloatArray) -> None:
    """Add ``count`` agents (discount weight ``weight``) of each run to its accumulators."""
    acc[0] += count * wrong
    acc[1] -= (loss * weight) * wrong
    acc[2] += count * cost
    acc[3] += weight * cost
    acc[4] += weight * ~act


def _objective(params: Params, out: dict[str, np.ndarray]) -> FloatArray:
    """The planner's own discounted reward: −β − C·1(a ≠ ω) (altruistic), −β − C·1(a = B)."""
    if params.altruistic:
        own: FloatArray = out["welfare_disc"] - out["spend_disc"]
    else:
        own = -params.C * out["bad_disc"] - out["spend_disc"]
    return own


def _store(out: dict[str, FloatArray], where: np.ndarray, acc: FloatArray, loss: float,
           n_agents: int) -> None:
    """Write the accumulators of the runs ``where``.

    welfare = −C·(wrong actions) and correct = N − (wrong actions), from the count of wrong
    actions.
    """
    out["welfare"][where] = -loss * acc[0]
    out["correct"][where] = n_agents - acc[0]
    for row, key in enumerate(("welfare_disc", "spend", "spend_disc", "bad_disc"), start=1):
        out[key][where] = acc[row]


def simulate_paired(
    policies: dict[str, Any],
    params: Params,
    agent: AgentModel | None = None,
    seed: int = 0,
    **kwargs: Any,
) -> dict[str, SimResult]:
    """Simulate several policies on common random numbers.

    Each policy gets a fresh generator from the same ``seed``, so that differences between
    them are paired.
    """
    return {name: simulate(pol, params, agent=agent, seed=seed, rng=None, **kwargs)
            for name, pol in policies.items()}


def paired_difference(a: FloatArray, b: FloatArray) -> dict[str, float]:
    """Mean and standard error of a − b over runs paired by common random numbers."""
    return _mean_se(np.asarray(a) - np.asarray(b))
