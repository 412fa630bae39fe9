"""Pre-flight estimate: calls, tokens and money, computed before anything is sent.

What is exact and what is a bound:

* **Belief and policy elicitation** fix every request in advance (names are known), so the
  number of distinct calls they send on an empty store is **exact** if every answer parses.
* **Sequential runs with an LLM** ask requests that depend on earlier answers (the history,
  the tip), so their count is an **upper bound** (identical requests are sent once).
* Every count is multiplied by ``1 + max_parse_retries`` for the most that can be sent; HTTP
  retries are bounded by the budget (``max_calls``), which the run never exceeds.

Tokens: from the calls that must be sent at their shortest prompt (5 characters per token)
and 8 completion tokens, to every call with every parse retry at its longest prompt (3
characters per token) and ``max_tokens``. Money: tokens × the per-model price table
(:data:`PRICES`, extended or overridden by the config's ``[prices."MODEL"]``); a model
without a price is named, never priced at 0 silently; local models cost nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from steerherd.llm import roles
from steerherd.llm.config import ROLES, ExperimentConfig
from steerherd.llm.roles import Step
from steerherd.llm.types import ChatRequest

#: US dollars per million (prompt, completion) tokens. Prices as published by the provider in
#: 2025; check yours and override them in the config (``[prices."MODEL"]``).
PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
}


@dataclass(frozen=True)
class Estimate:
    """Pre-flight numbers, computed before anything is sent."""

    units: int
    requests: int          # exact: requests the run makes if every answer parses
    calls: int             # calls sent if every answer parses and nothing is stored yet
    calls_exact: bool      # False when sequential runs may repeat requests (then an upper bound)
    max_calls: int         # calls × (1 + max_parse_retries): the most that can be sent
    prompt_tokens: tuple[int, int]
    completion_tokens: tuple[int, int]
    stored_calls: int
    exact_calls: int = 0   # the fewest calls: exact when ``calls_exact``, else a lower bound
    cost_usd: tuple[float, float] | None = None
    unpriced: tuple[str, ...] = ()
    by_role: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """Human-readable summary."""
        if self.calls_exact:
            calls = f"calls to send: {self.calls} (exact: the design fixes every request)"
        else:
            calls = (f"calls to send: {self.exact_calls}–{self.calls} (the fixed grids' calls and "
                     "the least sequential runs need, to an upper bound: sequential runs ask "
                     "what earlier answers lead to, identical requests once)")
        money = "cost: no remote model" if self.cost_usd is None else \
            f"cost: ${self.cost_usd[0]:,.2f}–${self.cost_usd[1]:,.2f} (price table in " \
            "steerherd/llm/estimate.py or [prices] in the config)"
        if self.unpriced:
            money += f"; no price for {', '.join(self.unpriced)} (add [prices.\"MODEL\"])"
        return [
            f"units: {self.units}   requests: {self.requests} (exact, if every answer parses)",
            calls + ", on an empty store, if every answer parses",
            f"calls sent: at most {self.max_calls} (every call with every parse retry)",
            f"prompt tokens: {self.prompt_tokens[0]:,}–{self.prompt_tokens[1]:,}   "
            f"completion tokens: {self.completion_tokens[0]:,}–{self.completion_tokens[1]:,}",
            "(3–5 characters per token; completions between 8 tokens and max_tokens)",
            money,
            f"already stored: {self.stored_calls} calls",
        ]


def estimate(cfg: ExperimentConfig, store: Any = None) -> Estimate:
    """Count requests exactly and bound calls, tokens and money, without any endpoint."""
    from steerherd.llm.runner import all_units

    units = all_units(cfg)
    requests = sum(u.requests for u in units)
    longest = max([cfg.sequential.agents if cfg.sequential else 0, 3])
    chars = _prompt_chars(cfg, longest)
    n_role = _calls_by_role(cfg, units)
    sure = _calls_by_role(cfg, units, named_only=True)  # sequential requests may repeat
    for role, n in _sequential_floor(cfg).items():
        sure[role] += n
    calls = sum(n_role.values())
    tries = 1 + cfg.calls.max_parse_retries
    p_lo = {r: n * chars[r][0] // 5 for r, n in sure.items()}
    p_hi = {r: n * tries * chars[r][1] // 3 for r, n in n_role.items()}
    c_lo = {r: 8 * n for r, n in sure.items()}
    c_hi = {r: n * tries * int(getattr(cfg.calls, f"max_tokens_{r}")) for r, n in n_role.items()}
    exact = all(u.request_names for u in units if u.requests)
    cost, unpriced = _money(cfg, p_lo, p_hi, c_lo, c_hi)
    return Estimate(len(units), requests, calls, exact, calls * tries,
                    (sum(p_lo.values()), sum(p_hi.values())),
                    (sum(c_lo.values()), sum(c_hi.values())),
                    0 if store is None else store.count_calls(), sum(sure.values()), cost,
                    unpriced, n_role)


def _money(cfg: ExperimentConfig, p_lo: dict[str, int], p_hi: dict[str, int],
           c_lo: dict[str, int], c_hi: dict[str, int],
           ) -> tuple[tuple[float, float] | None, tuple[str, ...]]:
    table = dict(PRICES) | {m: (p.input_per_mtok, p.output_per_mtok)
                            for m, p in cfg.prices.items()}
    lo = hi = 0.0
    remote = False
    unpriced: list[str] = []
    for role in ROLES:
        be = cfg.role_backend(role)
        if be.kind == "local" or not (p_hi.get(role) or c_hi.get(role)):
            continue
        remote = True
        price = table.get(be.model or "")
        if price is None:
            unpriced.append(be.model or "?")
            continue
        lo += (p_lo[role] * price[0] + c_lo[role] * price[1]) / 1e6
        hi += (p_hi[role] * price[0] + c_hi[role] * price[1]) / 1e6
    return ((lo, hi) if remote else None), tuple(sorted(set(unpriced)))


def _sequential_floor(cfg: ExperimentConfig) -> dict[str, int]:
    """Calls sequential runs must send on an empty store (if every answer parses).

    Agent i of run r asks with replicate r·N + i, so its oracle and agent requests differ
    from every other (run, agent)'s; they may coincide across settings and states. An LLM
    planner's request also states its objective and horizon.
    """
    from steerherd.llm.sequential import SETTINGS

    out = {"agent": 0, "oracle": 0, "planner": 0}
    seq = cfg.sequential
    if seq is None:
        return out
    kinds = [SETTINGS[s] for s in seq.settings]
    reps = seq.runs * seq.agents
    if any(a == "llm" for _, a in kinds):
        out["agent"] = out["oracle"] = reps
    if any(p == "llm" for p, _ in kinds):
        out["planner"] = reps * len(seq.planners) * len(seq.horizons)
    return out


def _calls_by_role(cfg: ExperimentConfig, units: list[Any],
                   named_only: bool = False) -> dict[str, int]:
    """Distinct named requests per role, plus every request of the unnamed (sequential) units."""
    out = {"agent": 0, "oracle": 0, "planner": 0}
    for name in {n for u in units for n in u.request_names}:
        out[name.split("|", 1)[0]] += 1
    n = cfg.sequential.agents if cfg.sequential else 1
    for u in [] if named_only else units:
        if not u.request_names and u.requests:
            per = u.requests // n  # requests per agent: planner (1) + oracle and agent (2)
            out["planner"] += n * (per % 2)
            out["agent"] += n * (per // 2)
            out["oracle"] += n * (per // 2)
    return out


def _prompt_chars(cfg: ExperimentConfig, longest: int) -> dict[str, tuple[int, int]]:
    v, d = cfg.prompt_version, cfg.prompt_dir
    hist = [Step(99, True)] * longest
    msg = "x" * (4 * cfg.calls.max_tokens_oracle)

    def size(req: ChatRequest) -> int:
        return sum(len(m["content"]) for m in req.messages)

    params = cfg.model.params("biased", True)
    longest_persona = max(roles.personas(), key=len)
    return {
        "agent": (size(roles.agent_request("", [], "", 50, 0.7, 8, v, d)),
                  size(roles.agent_request(longest_persona, hist, msg, 50, 0.7, 8, v, d))),
        "oracle": (size(roles.oracle_request(True, 50, 0.7, 8, v, d)),) * 2,
        "planner": (size(roles.planner_request(params, False, [], None, 0.7, 8, v, 0, d)),
                    size(roles.planner_request(params, True, hist, 0.5, 0.7, 8, v, 4, d))),
    }
