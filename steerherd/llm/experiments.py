"""The experiments, one deterministic unit at a time.

Each unit (a grid point or a whole sequential run) is deterministic given the configuration
and the stored answers, and is recorded once in the run store.

Histories for a target public belief b* (belief and policy elicitation): starting from the
prior 1/2, the history has n ∈ {0, 1, 2} buyers at the baseline precision p who all acted
towards b* (buy if b* > 1/2), with n the largest such that n·λ(p) ≤ |λ(b*)|/2, then one
buyer whose precision makes up the rest: λ(q_last) = |λ(b*)| − n·λ(p), where
λ(x) = log(x / (1 − x)) is the log-likelihood ratio. Every action in it is informative
(λ(q) ≥ the running |LLR|, ties included), so its Bayesian public belief is exact. Precisions
are shown as integer percents, so q_last is rounded up to a whole percent and the belief
actually produced (``public_belief``) is stored next to the target.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from steerherd.llm import roles
from steerherd.llm.caller import Caller
from steerherd.llm.config import ExperimentConfig
from steerherd.llm.roles import Step
from steerherd.model import Params, is_informative, posterior


def _llr(x: float) -> float:
    return math.log(x / (1.0 - x))


def history_for_belief(target: float, p: float) -> tuple[list[Step], float]:
    """An action history whose Bayesian public belief is (about) ``target``; see the module.

    Returns:
        (steps, public_belief): the history and its exact Bayesian public belief.
    """
    if abs(target - 0.5) < 1e-12:
        return [], 0.5
    up = target > 0.5
    goal = abs(_llr(target))
    lam_p = _llr(round(100 * p) / 100)
    n = 2 if 2 * lam_p <= goal / 2 else 1 if lam_p <= goal / 2 else 0
    steps = [Step(round(100 * p), up)] * n
    rest = goal - n * lam_p
    q_pct = min(99, math.ceil(100.0 / (1.0 + math.exp(-rest)) - 1e-9))
    steps.append(Step(q_pct, up))
    return steps, belief_after(steps)


def belief_after(steps: list[Step], prior: float = 0.5) -> float:
    """The Bayesian public belief after a history (cascaded actions reveal nothing)."""
    b = prior
    for s in steps:
        q = s.precision_percent / 100
        if is_informative(b, q):
            b = float(posterior(b, q, s.bought))
    return b


@dataclass(frozen=True)
class Unit:
    """One independent piece of work: its record key and how to run it."""

    experiment: str
    item: str
    requests: int  # requests it makes (before parse retries)
    run: Callable[[Caller], dict[str, Any]]
    #: names of its requests when they are known in advance (equal names, equal requests);
    #: empty when they depend on earlier answers (sequential runs)
    request_names: tuple[str, ...] = ()
    #: runs after every belief-elicitation unit is recorded (it uses their fit)
    needs_beliefs: bool = False


def _tokens(cfg: ExperimentConfig, role: str) -> int:
    return int(getattr(cfg.calls, f"max_tokens_{role}"))


def _ask_agent(cfg: ExperimentConfig, caller: Caller, history: list[Step], signal: bool,
               q_pct: int, replicate: int, persona_key: str,
               ) -> tuple[dict[str, Any] | None, str | None, str]:
    """The oracle's tip (checked) then the agent's answer; (answer, tip, persona)."""
    v, d = cfg.prompt_version, cfg.prompt_dir
    oracle = caller.ask("oracle", roles.oracle_request(signal, q_pct, cfg.temperature("oracle"),
                                                       _tokens(cfg, "oracle"), v, d),
                        replicate, cfg.seed, roles.oracle_check(signal, q_pct))
    persona = roles.draw_persona(cfg.seed, persona_key)
    if oracle.value is None:
        return None, None, persona
    req = roles.agent_request(persona, history, oracle.value["message"], q_pct,
                              cfg.temperature("agent"), _tokens(cfg, "agent"), v, d)
    agent = caller.ask("agent", req, replicate, cfg.seed, persona=persona)
    return agent.value, oracle.value["message"], persona


def belief_units(cfg: ExperimentConfig) -> Iterator[Unit]:
    """Agent belief elicitation: public belief × precision × signal × replicate."""
    assert cfg.beliefs is not None
    for b in cfg.beliefs.public_beliefs:
        for q in cfg.beliefs.precisions:
            for sig in cfg.beliefs.signals:
                for rep in range(cfg.beliefs.replicates):
                    q_pct = round(100 * q)
                    yield Unit("beliefs", f"b={b:g}|q={q:g}|s={sig}|r={rep}", 2,
                               _belief_job(cfg, b, q, sig == "good", rep),
                               (f"oracle|{q_pct}|{sig}|{rep}", f"agent|{b:g}|{q_pct}|{sig}|{rep}"))


def _belief_job(cfg: ExperimentConfig, b: float, q: float, good: bool,
                rep: int) -> Callable[[Caller], dict[str, Any]]:
    def job(caller: Caller) -> dict[str, Any]:
        history, b_pub = history_for_belief(b, cfg.model.p)
        q_pct = round(100 * q)
        ans, message, persona = _ask_agent(cfg, caller, history, good, q_pct, rep,
                                           f"beliefs|{b:g}|{q_pct}|{rep}")
        return {"target_belief": b, "public_belief": b_pub, "precision": q_pct / 100,
                "signal_good": good, "replicate": rep, "ok": ans is not None,
                "persona": persona, "tip_ok": message is not None,
                "bayes_posterior": float(posterior(b_pub, q_pct / 100, good)),
                "reported": None if ans is None else ans["belief_percent"] / 100,
                "bought": None if ans is None else ans["action"] == "buy",
                "history_len": len(history), "message": message}
    return job


def policy_units(cfg: ExperimentConfig) -> Iterator[Unit]:
    """Planner policy elicitation: planner × horizon × public belief × replicate."""
    assert cfg.policy is not None
    pol = cfg.policy
    for planner in pol.planners:
        for horizon in pol.horizons:
            for b in pol.public_beliefs:
                for rep in range(pol.replicates):
                    item = f"{planner}|{horizon}|b={b:g}|r={rep}"
                    yield Unit("policy", item, 1, _policy_job(cfg, planner, horizon, b, rep),
                               (f"planner|{item}",))


def _policy_job(cfg: ExperimentConfig, planner: str, horizon: str, b: float,
                rep: int) -> Callable[[Caller], dict[str, Any]]:
    def job(caller: Caller) -> dict[str, Any]:
        assert cfg.policy is not None
        params = cfg.model.params(planner, horizon == "forward")
        history, b_pub = history_for_belief(b, cfg.model.p)
        req = roles.planner_request(params, horizon == "forward", history,
                                    b_pub if cfg.policy.show_public_belief else None,
                                    cfg.temperature("planner"), _tokens(cfg, "planner"),
                                    cfg.prompt_version, cfg.policy.belief_decimals,
                                    cfg.prompt_dir)
        ans = caller.ask("planner", req, rep, cfg.seed, roles.planner_check(params))
        return {"planner": planner, "horizon": horizon, "target_belief": b,
                "public_belief": b_pub, "replicate": rep, "ok": ans.value is not None,
                "precision": None if ans.value is None else ans.value["precision_percent"] / 100,
                "reason": None if ans.value is None else ans.value.get("reason")}
    return job


def optimal_percent(params: Params, solution: Any, b: float) -> int:
    """The optimal precision as a whole percent, keeping the optimum's effect on the agent.

    Informative mode: rounded up (so the agent still follows its signal); obfuscation (a
    supremum just below b): the largest whole percent strictly below max(b, 1 − b); escape
    and tip (a limit from above): the least whole percent strictly above it;
    otherwise the nearest percent, never below the planner's minimum.
    """
    mode = str(solution.mode(b))
    q = float(solution.policy(b))
    if mode == "informative":
        pct = math.ceil(100 * max(b, 1 - b) - 1e-9)
    elif mode == "obfuscate":
        pct = math.ceil(100 * max(b, 1 - b) - 1e-9) - 1
    elif mode in ("escape", "tip"):  # a limit from above: the least whole percent above it
        pct = math.floor(100 * q + 1e-9) + 1
    else:
        pct = round(100 * q)
    return int(min(100, max(math.ceil(100 * params.q_min - 1e-9), pct)))
