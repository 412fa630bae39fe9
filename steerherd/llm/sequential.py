"""Sequential runs: R runs × N agents on common random numbers.

The planner is optimal, an LLM or the baseline; the agents are Bayesian or LLMs.

Run r draws u_1..u_N once (from the run seed, r and the state); agent i's signal is ω when
u_i < q_i, so every setting sees the same luck. The public belief is that of a Bayesian
observer who reads each action as the agent's signal when 1 − q ≤ b ≤ q and learns nothing
otherwise (DESIGN.md: the observer's belief stays the state, whatever the agents are). The
prior is 1/2. Calls for agent i of run r use replicate index r·N + i, so the oracle's tip
for the same (verdict, precision) is shared by all settings of that run and agent.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import numpy as np

from steerherd.llm import roles
from steerherd.llm.caller import Caller
from steerherd.llm.config import ExperimentConfig
from steerherd.llm.experiments import Unit, _ask_agent, _tokens, optimal_percent
from steerherd.llm.roles import Step
from steerherd.model import action_good, is_informative, posterior

#: setting → (planner kind, agent kind)
SETTINGS: dict[str, tuple[str, str]] = {
    "analytical": ("optimal", "bayesian"),
    "llm": ("llm", "llm"),
    "hybrid": ("optimal", "llm"),
    "llm_planner_bayesian": ("llm", "bayesian"),
    "always_full": ("full", "bayesian"),
    "always_full_llm": ("full", "llm"),
    "always_p": ("baseline", "bayesian"),
    "always_p_llm": ("baseline", "llm"),
    # the policy re-solved against the Behavioral model fitted to the LLM agents' beliefs
    # (this run's belief elicitation), played with LLM agents
    "resolved": ("fitted", "llm"),
    "baseline_bayesian": ("baseline", "bayesian"),
    "baseline_llm": ("baseline", "llm"),
}
PRIOR = 0.5


def fitted_solution(records: list[dict[str, Any]],
                    params: Any) -> tuple[Any | None, dict[str, Any]]:
    """The optimum against the Behavioral agent fitted to the stored belief answers.

    Returns:
        (solution or None, what to record: the fitted weights or why there are none).
    """
    from steerherd.llm.analysis import analyse_beliefs

    fit = analyse_beliefs(records)["behavioral_fit"].get("beliefs", {})
    est = fit.get("estimates")
    if not est:
        return None, {"fit_error": fit.get("error", "no belief answers to fit")}
    weights = (est["w_prior"], est["w_agree"], est["w_disagree"])
    if not all(math.isfinite(w) for w in weights) or min(weights) <= 0:
        return None, {"fit_error": f"fitted weights {weights} are not a Behavioral agent"}
    return _behavioral_optimum(params, tuple(round(w, 6) for w in weights)), {
        "fitted_weights": list(weights)}


@lru_cache(maxsize=32)
def _behavioral_optimum(params: Any, weights: tuple[float, float, float]) -> Any:
    from steerherd.agents import Behavioral
    from steerherd.api import solve

    return solve(params, agent=Behavioral(*weights))


@lru_cache(maxsize=32)
def optimum(params: Any) -> Any:
    """``steerherd.solve(params)``, cached per process.

    The runner and the analysis ask for the same few problems.
    """
    from steerherd.api import solve

    return solve(params)


def sequential_units(cfg: ExperimentConfig) -> Iterator[Unit]:
    """Every run of every combination, then the no-control baselines they are scored against."""
    seq = cfg.sequential
    assert seq is not None
    n = seq.agents
    solutions: dict[tuple[str, str], Any] = {}
    for setting in seq.settings:
        planner_kind, agent_kind = SETTINGS[setting]
        per_step = (planner_kind == "llm") + 2 * (agent_kind == "llm")
        for planner in seq.planners:
            for horizon in seq.horizons:
                if planner_kind == "optimal" and (planner, horizon) not in solutions:
                    solutions[(planner, horizon)] = optimum(
                        cfg.model.params(planner, horizon == "forward"))
                for state in seq.states:
                    for r in range(seq.runs):
                        yield Unit("sequential", f"{setting}|{planner}|{horizon}|{state}|r={r}",
                                   per_step * n, _run_job(cfg, setting, planner, horizon, state,
                                                          r, solutions.get((planner, horizon))),
                                   needs_beliefs=planner_kind == "fitted")
    agents = {"bayesian"} | {SETTINGS[s][1] for s in seq.settings}
    for agent_kind in sorted(agents):
        for state in seq.states:
            for r in range(seq.runs):
                yield Unit("sequential", f"baseline_{agent_kind}|-|-|{state}|r={r}",
                           2 * n * (agent_kind == "llm"),
                           _run_job(cfg, f"baseline_{agent_kind}", "altruistic", "myopic", state,
                                    r, None))


def _run_job(cfg: ExperimentConfig, setting: str, planner: str, horizon: str, state: str,
             r: int, solution: Any) -> Any:
    def job(caller: Caller) -> dict[str, Any]:
        seq = cfg.sequential
        assert seq is not None
        planner_kind, agent_kind = SETTINGS[setting]
        params = cfg.model.params(planner, horizon == "forward")
        good = state == "G"
        u = np.random.default_rng([cfg.seed, r, int(good)]).random(seq.agents)
        b = PRIOR
        history: list[Step] = []
        steps: list[dict[str, Any]] = []
        failed_at = None
        extra: dict[str, Any] = {}
        sol = solution
        if planner_kind == "fitted":
            sol, extra = fitted_solution(caller.store.records("beliefs"), params)
            if sol is None:
                return {"setting": setting, "planner": planner, "horizon": horizon,
                        "state": state, "run": r, "ok": False, "failed_at": 0, "steps": [],
                        **extra}
        for i in range(seq.agents):
            rep = r * seq.agents + i
            q_pct = _precision(cfg, caller, planner_kind, params, sol, history, b, rep,
                               horizon == "forward")
            if q_pct is None:
                failed_at = i
                break
            q = q_pct / 100
            signal = good if u[i] < q else not good
            reported = None
            if agent_kind == "bayesian":
                bought = bool(action_good(b, q, signal))
            else:
                ans, _, _ = _ask_agent(cfg, caller, history, signal, q_pct, rep,
                                       f"sequential|{rep}")
                if ans is None:
                    failed_at = i
                    break
                bought, reported = ans["action"] == "buy", ans["belief_percent"] / 100
            steps.append({"belief": b, "precision": q, "signal_good": signal, "bought": bought,
                          "reported": reported})
            history.append(Step(q_pct, bought))
            if is_informative(b, q):
                b = float(posterior(b, q, bought))
        return {"setting": setting, "planner": planner, "horizon": horizon, "state": state,
                "run": r, "ok": failed_at is None, "failed_at": failed_at, "steps": steps,
                **extra}
    return job


def _precision(cfg: ExperimentConfig, caller: Caller, kind: str, params: Any, solution: Any,
               history: list[Step], b: float, rep: int, forward: bool) -> int | None:
    if kind == "baseline":
        return round(100 * float(params.p))
    if kind == "full":
        return 100
    if kind == "optimal":
        return optimal_percent(params, solution, b)
    if kind == "fitted":  # the Behavioral optimum, as the nearest whole percent
        return int(min(100, max(math.ceil(100 * params.q_min - 1e-9),
                                round(100 * float(solution.policy(b))))))
    seq = cfg.sequential
    assert seq is not None
    req = roles.planner_request(params, forward, history,
                                b if seq.show_public_belief else None, cfg.temperature("planner"),
                                _tokens(cfg, "planner"), cfg.prompt_version, seq.belief_decimals,
                                cfg.prompt_dir)
    ans = caller.ask("planner", req, rep, cfg.seed, roles.planner_check(params))
    return None if ans.value is None else int(ans.value["precision_percent"])
