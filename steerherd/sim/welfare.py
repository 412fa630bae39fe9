r"""Welfare tables as in the paper: planners against Bayesian and Behavioral populations.

Cells: planner (altruistic, biased) × horizon (myopic: the planner solved with δ = 0;
forward-looking: with ``delta``) × true state (B, G) × setting:

==============  ===============================  ==================
setting         policy                           agents
==============  ===============================  ==================
``analytical``  solved for Bayesian agents       Bayesian
``hybrid``      solved for Bayesian agents       Behavioral
``behavioral``  solved for the Behavioral agents Behavioral
==============  ===============================  ==================

plus reference rows for the heuristic "always 1" (planner ``always 1``, setting
``bayesian agents`` / ``behavioral agents``) per agent model and state, and optionally the
same rows for a given policy table (planner ``table``; e.g. an LLM planner's policy).

**How "% of baseline" is computed.** The baseline is no control: every agent gets the free
precision p, with the same agents and the same true state. W is the agents' expected total
utility over the N agents (undiscounted; −C per wrong action), so W ≤ 0 and the ratio is a
**loss ratio**:

* ``loss_pct = 100 · W_policy / W_baseline`` — 100 means the same loss as no control,
  below 100 less loss (better), above 100 more loss (worse);
* ``spend_pct = 100 · S_policy / |W_baseline|`` — the planner's undiscounted expenditure
  Σ β(|q − p|), as a percentage of the baseline's welfare loss (the baseline spends
  nothing, so a ratio to its own expenditure does not exist);
* ``welfare_pct = 100 · (share correct)_policy / (share correct)_baseline`` — a positive
  welfare measure, for readers who want "welfare cut by x%" (100 − welfare_pct).

Monte Carlo runs for a policy and its baseline share their random numbers (same seed), so the
ratio's standard error comes from the paired per-run values by the delta method:
se(X̄/Ȳ) ≈ sd(X − R·Y) / (√n · |Ȳ|), with R = X̄/Ȳ. Where the agents are deterministic the
exact values (:mod:`steerherd.sim.exact`) are reported beside the Monte Carlo ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from steerherd.agents import AgentModel, Bayesian, Behavioral
from steerherd.api import solve
from steerherd.errors import ParameterError
from steerherd.model import Params
from steerherd.model.costs import make_cost
from steerherd.sim.exact import exact_statistics
from steerherd.sim.montecarlo import SimResult, check_size, simulate
from steerherd.sim.policies import PolicyTable
from steerherd.solution import Solution
from steerherd.spec import MAX_AGENTS, MAX_RUNS, parse_spec

PLANNERS = ("altruistic", "biased")
HORIZONS = ("myopic", "forward")
STATES = ("B", "G")
SETTINGS = ("analytical", "hybrid", "behavioral")


@dataclass(frozen=True)
class WelfareConfig:
    """What a welfare table is computed from.

    Args:
        p, k, C, delta: the problem (linear cost β(x) = k·x); ``delta`` is the forward-looking
            planner's discount factor (the myopic planner uses 0).
        prior: the common prior b₁.
        runs, agents: Monte Carlo runs R and population size N.
        seed: the seed of every simulation (common random numbers across cells).
        behavioral: the non-Bayesian agent model.
        beliefs, precisions: the solver's grids.
        exact: also compute exact values where the agents are deterministic.
        workers: threads for the Monte Carlo.
        policy_table: an extra policy (e.g. an LLM planner's table) evaluated against both
            agent models: rows with planner ``table``.
        max_runs: refuse more runs than this (checked before anything is allocated).

    Raises:
        ParameterError: for a value the problem spec refuses (p, k, C, delta, prior, grid
            sizes), runs or agents outside [1, limit], or workers < 1.
    """

    p: float = 0.7
    k: float = 0.5
    C: float = 1.0
    delta: float = 0.9
    prior: float = 0.5
    runs: int = 20_000
    agents: int = 100
    seed: int = 0
    behavioral: AgentModel = field(default_factory=lambda: Behavioral(1.0, 0.7, 2.5))
    beliefs: int = 1001
    precisions: int = 201
    exact: bool = True
    workers: int = 1
    policy_table: PolicyTable | None = None
    max_runs: int = MAX_RUNS

    def __post_init__(self) -> None:
        for name, most, flag in (("runs", self.max_runs, "--max-runs N"),
                                 ("agents", MAX_AGENTS, "steerherd.spec.MAX_AGENTS")):
            size = check_size(name, getattr(self, name))
            if size > most:
                raise ParameterError(f"{name} = {size:,} is more than the limit {most:,} "
                                     f"(raise it with {flag})")
        check_size("workers", self.workers)
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ParameterError(f"seed must be a whole number >= 0, got {self.seed!r}")
        # p, k, C, delta, prior and the grid sizes: the one problem spec's checks.
        parse_spec({"p": self.p, "k": self.k, "C": self.C, "delta": self.delta,
                    "prior": self.prior, "beliefs": self.beliefs,
                    "precisions": self.precisions})

    def params(self, planner: str, delta: float) -> Params:
        """The Params of one planner and horizon."""
        return Params(planner=planner, p=self.p, C=self.C, delta=delta,  # type: ignore[arg-type]
                      prior=self.prior, cost=make_cost("linear", k=self.k))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        out = {k: v for k, v in self.__dict__.items()
               if k not in ("behavioral", "policy_table", "max_runs")}
        table = self.policy_table
        return out | {"behavioral": self.behavioral.to_dict(),
                      "policy_table": None if table is None else {"b": table.b, "q": table.q}}


def ratio_se(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """X̄/Ȳ and its delta-method standard error from paired samples (NaN if Ȳ = 0)."""
    my = float(np.mean(y))
    if my == 0.0:
        return float("nan"), float("nan")
    r = float(np.mean(x)) / my + 0.0  # + 0.0 turns −0.0 into 0.0
    if x.size < 2:
        return r, float("nan")
    return r, float(np.std(x - r * y, ddof=1) / np.sqrt(x.size) / abs(my))


def welfare_table(config: WelfareConfig,
                  progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Every cell of the welfare table (see the module docstring).

    Args:
        config: parameters, sizes, seed and the Behavioral agent.
        progress: called with a label before each unit of work.

    Returns:
        ``{"config", "definitions", "rows", "solutions"}``; each row holds planner, horizon,
        state, setting, the raw means (welfare, spend, correct share, cascade probabilities)
        with standard errors, the three percentages with standard errors, and the exact
        values where available.
    """
    tick = progress or (lambda label: None)
    cells = _Cells(config)
    rows: list[dict[str, Any]] = []
    solutions: dict[str, Any] = {}
    for planner in PLANNERS:
        for horizon in HORIZONS:
            params = config.params(planner, 0.0 if horizon == "myopic" else config.delta)
            tick(f"solve {planner} {horizon}")
            sol = {"bayesian": _solve(params, config, Bayesian()),
                   "behavioral": _solve(params, config, config.behavioral)}
            solutions[f"{planner}/{horizon}"] = {name: _describe(s, config.prior)
                                                 for name, s in sol.items()}
            for state in STATES:
                tick(f"simulate {planner} {horizon} omega={state}")
                for setting in SETTINGS:
                    policy = sol["behavioral" if setting == "behavioral" else "bayesian"]
                    agent = "bayesian" if setting == "analytical" else "behavioral"
                    rows.append(cells.row((planner, horizon, state, setting), policy, params,
                                          agent))
    params = config.params("altruistic", config.delta)
    for agent in ("bayesian", "behavioral"):
        for state in STATES:
            tick(f"reference always-1 {agent} omega={state}")
            rows.append(cells.row(("always 1", "-", state, f"{agent} agents"), "full", params,
                                  agent))
            if config.policy_table is not None:
                rows.append(cells.row(("table", "-", state, f"{agent} agents"),
                                      config.policy_table, params, agent))
    return {"config": config.to_dict(), "definitions": DEFINITIONS, "rows": rows,
            "solutions": solutions}


class _Cells:
    """Simulations (and exact values) of the table, each computed once."""

    def __init__(self, config: WelfareConfig) -> None:
        self.config = config
        self.agents = {"bayesian": Bayesian(), "behavioral": config.behavioral}
        self.sims: dict[tuple[Any, ...], tuple[SimResult, Any]] = {}

    def run(self, key: tuple[Any, ...], policy: Any, params: Params, agent: str,
            state: str) -> tuple[SimResult, Any]:
        if key not in self.sims:
            cfg, model = self.config, self.agents[agent]
            res = simulate(policy, params, agent=model, runs=cfg.runs, agents=cfg.agents,
                           state=state, seed=cfg.seed, workers=cfg.workers)
            self.sims[key] = (res, _try_exact(policy, params, model, cfg, state))
        return self.sims[key]

    def row(self, key: tuple[str, str, str, str], policy: Any, params: Params, agent: str
            ) -> dict[str, Any]:
        """One table row: the cell against the no-control baseline of the same agents."""
        state = key[2]
        res, ex = self.run(key, policy, params, agent, state)
        base, ex_base = self.run(("baseline", agent, state), "baseline", params, agent, state)
        return _row(key, res, base, ex, ex_base)


def _describe(sol: Solution, prior: float) -> dict[str, Any]:
    return {"regimes": [r.to_dict() for r in sol.regimes],
            "value_at_prior": float(sol.value(prior)),
            "method": sol.certificate.method, "gap": sol.certificate.gap}


DEFINITIONS = {
    "loss_pct": "100 * W_policy / W_baseline, W = expected total utility of the N agents "
                   "(undiscounted, -C per wrong action, <= 0): a loss ratio, < 100 is better",
    "spend_pct": "100 * S_policy / |W_baseline|, S = undiscounted planner expenditure",
    "welfare_pct": "100 * (share of correct actions) / (baseline's share)",
    "baseline": "every agent gets the free precision p; same agents, state and random numbers",
    "se": "delta method on paired runs (common random numbers)",
}


def _solve(params: Params, config: WelfareConfig, agent: AgentModel) -> Solution:
    """Policy iteration on the configured grid (certified; raises ConvergenceError if not)."""
    return solve(params, beliefs=config.beliefs, precisions=config.precisions, agent=agent)


def _try_exact(policy: Any, params: Params, agent: AgentModel, config: WelfareConfig,
               state: str) -> Any:
    if not config.exact:
        return None
    try:
        return exact_statistics(policy, params, agent=agent, agents=config.agents, state=state,
                                max_support=50_000)
    except ParameterError:
        return None  # noisy agents or a belief tree that does not merge: Monte Carlo only


def _row(key: tuple[Any, ...], res: SimResult, base: SimResult, ex: Any, ex_base: Any
         ) -> dict[str, Any]:
    planner, horizon, state, setting = key
    loss_pct, welfare_se = ratio_se(res.welfare, base.welfare)
    spend_pct, spend_se = ratio_se(res.spend, -base.welfare)
    welfare_pct, correct_se = ratio_se(res.correct_share, base.correct_share)
    summ = res.summary()
    row: dict[str, Any] = {
        "planner": planner, "horizon": horizon, "state": state, "setting": setting,
        "loss_pct": 100 * loss_pct, "loss_pct_se": 100 * welfare_se,
        "spend_pct": 100 * spend_pct, "spend_pct_se": 100 * spend_se,
        "welfare_pct": 100 * welfare_pct, "welfare_pct_se": 100 * correct_se,
        "mc": {k: summ[k] for k in ("welfare", "spend", "correct_share", "p_cascade_correct",
                                    "p_cascade_wrong", "p_no_cascade")},
        "baseline_welfare": base.summary()["welfare"],
    }
    if ex is not None and ex_base is not None:
        row["exact"] = {
            "welfare": ex.welfare, "spend": ex.spend, "correct_share": ex.correct_share,
            "p_cascade_correct": ex.p_cascade_correct, "p_cascade_wrong": ex.p_cascade_wrong,
            "baseline_welfare": ex_base.welfare,
            "loss_pct": 100 * ex.welfare / ex_base.welfare + 0.0 if ex_base.welfare else None,
            "spend_pct": 100 * ex.spend / -ex_base.welfare + 0.0 if ex_base.welfare else None,
        }
    return row
