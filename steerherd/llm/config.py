"""Experiment configuration (TOML → pydantic, ``extra="forbid"`` so typos are refused)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from steerherd.files import read_toml, validate
from steerherd.llm.roles import PROMPT_VERSION
from steerherd.model import Params


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BackendConfig(_Strict):
    """Where the model runs. ``local`` starts the built-in llama.cpp server."""

    kind: Literal["local", "openai"] = "local"
    base_url: str | None = None
    model: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    gguf: str | None = None
    timeout_s: float = Field(default=120.0, gt=0)
    max_retries: int = Field(default=4, ge=0)
    structured: Literal["auto", "json_schema", "json_object", "prompt"] = "auto"
    n_ctx: int = Field(default=2048, ge=512)  # per slot (one slot per concurrent call)
    # llama.cpp threads spin-wait: on a busy 2-core machine 2 threads ran 5-10x slower than 1.
    threads: int = Field(default=1, ge=1)


class CallConfig(_Strict):
    """How calls are made: sampling, limits and budgets."""

    temperature: float = Field(default=0.7, ge=0, le=2)
    max_tokens_agent: int = Field(default=60, ge=8)
    max_tokens_planner: int = Field(default=80, ge=8)
    max_tokens_oracle: int = Field(default=160, ge=8)
    max_parse_retries: int = Field(default=2, ge=0)
    max_calls: int = Field(default=2000, ge=1)
    concurrency: int = Field(default=1, ge=1)


class ModelConfig(_Strict):
    """The planner's problem (MODEL.md §2) used for prompts, the optimum and scoring."""

    p: float = 0.7
    C: float = 1.0
    k: float = 0.5
    cost: Literal["linear", "power"] = "linear"
    alpha: float | None = None
    delta: float = 0.9

    def params(self, planner: str, forward: bool) -> Params:
        """Validated :class:`~steerherd.model.Params` (myopic: δ = 0)."""
        from steerherd.model.costs import make_cost

        return Params(planner=planner, p=self.p, C=self.C,  # type: ignore[arg-type]
                      delta=self.delta if forward else 0.0,
                      cost=make_cost(self.cost, k=self.k, alpha=self.alpha))


Planner = Literal["altruistic", "biased"]
Horizon = Literal["myopic", "forward"]


class BeliefsConfig(_Strict):
    """Agent belief elicitation: public belief × precision × signal × replicate."""

    public_beliefs: list[float] = [0.2, 0.5, 0.8]
    precisions: list[float] = [0.6, 0.8]
    signals: list[Literal["good", "bad"]] = ["good", "bad"]
    replicates: int = Field(default=1, ge=1)

    @field_validator("public_beliefs", "precisions")
    @classmethod
    def _unit(cls, v: list[float]) -> list[float]:
        if not v or any(not 0.0 < x < 1.0 for x in v if x != 1.0):
            raise ValueError("values must lie in (0, 1)")
        return v


class PolicyConfig(_Strict):
    """Planner policy elicitation at a grid of public beliefs."""

    public_beliefs: list[float] = [0.1, 0.3, 0.5, 0.7, 0.9]
    planners: list[Planner] = ["altruistic"]
    horizons: list[Horizon] = ["myopic"]
    replicates: int = Field(default=1, ge=1)
    show_public_belief: bool = True


Setting = Literal["analytical", "llm", "hybrid", "llm_planner_bayesian", "always_full",
                  "always_full_llm"]


class SequentialConfig(_Strict):
    """R runs × N agents per (setting, planner, horizon, state), plus the no-control baselines.

    The prior is 1/2, as the agent prompt states.
    """

    runs: int = Field(default=2, ge=1)
    agents: int = Field(default=5, ge=1)
    settings: list[Setting] = ["analytical", "hybrid"]
    planners: list[Planner] = ["altruistic"]
    horizons: list[Horizon] = ["myopic"]
    states: list[Literal["B", "G"]] = ["B"]
    show_public_belief: bool = True


class ExperimentConfig(_Strict):
    """A whole experiment file (``sims/llm_*.toml``)."""

    name: str
    seed: int = 0
    prompt_version: str = PROMPT_VERSION
    backend: BackendConfig = BackendConfig()
    calls: CallConfig = CallConfig()
    model: ModelConfig = ModelConfig()
    beliefs: BeliefsConfig | None = None
    policy: PolicyConfig | None = None
    sequential: SequentialConfig | None = None


def load_config(path: str | Path) -> ExperimentConfig:
    """Read and validate a TOML experiment file.

    Raises:
        ParameterError: the file is missing, not TOML, or a field is unknown or out of range.
    """
    path = Path(path)
    cfg = validate(ExperimentConfig, read_toml(path, "experiment config"), path)
    for planner in ("altruistic", "biased"):
        cfg.model.params(planner, True)  # validates p, C, k, delta now, not mid-run
    check_prompt_version(cfg.prompt_version)
    return cfg


def check_prompt_version(version: str) -> None:
    """Refuse a prompt version that lacks a role's template (before anything is sent)."""
    from steerherd.llm.roles import template

    for role in ("agent", "oracle", "planner"):
        template(version, role)
