"""Experiment configuration (TOML → pydantic, ``extra="forbid"`` so typos are refused).

Everything a run will need is checked here, before a store is opened or a call is sent: the
problem (``[model]``, parsed through :func:`steerherd.spec.parse_spec`), belief and precision
grids (finite, beliefs in (0, 1), precisions in [0.5, 1]), the run's size against stated
limits, the run name (a name, not a path), the prompt directory and the backends of the three
roles. Command-line overrides are merged into the file's data and validated with it.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from steerherd.errors import ParameterError
from steerherd.files import read_toml, validate
from steerherd.llm.roles import PROMPT_VERSION
from steerherd.model import Params
from steerherd.spec import PLANNERS, Planner, parse_spec

ROLES = ("planner", "oracle", "agent")
#: A run name or prompt version: letters, digits, ``.``, ``_``, ``-``; no separators.
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
#: Size limits checked before anything is built (raise them with the flags named).
MAX_REQUESTS = 200_000
MAX_STEPS = 5_000_000
#: Default concurrency: remote APIs serve many requests at once; a local server has one slot
#: per connection and each slot costs memory.
REMOTE_CONCURRENCY = 8
LOCAL_CONCURRENCY = 1
Kind = Literal["local", "openai"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _check_url(url: str | None) -> str | None:
    if url is not None and not re.match(r"^https?://[^/\s]+", url):
        raise ValueError(f"base_url must be an http(s) URL with a host, got {url!r}")
    return url


class RoleBackend(_Strict):
    """Per-role overrides of ``[backend]`` (``[backend.planner]``, ``.oracle``, ``.agent``)."""

    kind: Kind | None = None
    base_url: str | None = None
    model: str | None = None
    api_key_env: str | None = None
    gguf: str | None = None
    temperature: float | None = Field(default=None, ge=0, le=2)

    @field_validator("base_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        return _check_url(v)


class BackendConfig(_Strict):
    """Where the model runs (the default of every role). ``local`` starts llama.cpp."""

    kind: Kind = "local"
    base_url: str | None = None
    model: str | None = None
    #: a grid of models compared in one experiment: one run per model (in RUN/<model>/) for
    #: every role without a model of its own, and a grid report labelling each cell
    models: list[str] | None = None
    api_key_env: str = "OPENAI_API_KEY"
    gguf: str | None = None
    timeout_s: float = Field(default=120.0, gt=0, le=3600)
    max_retries: int = Field(default=4, ge=0, le=20)  # the harness's retries per request
    structured: Literal["auto", "json_schema", "json_object", "prompt"] = "auto"
    n_ctx: int = Field(default=2048, ge=512)  # per slot (one slot per concurrent call)
    # llama.cpp threads spin-wait: on a busy 2-core machine 2 threads ran 5-10x slower than 1.
    threads: int = Field(default=1, ge=1)
    requests_per_minute: float | None = Field(default=None, gt=0)
    tokens_per_minute: float | None = Field(default=None, gt=0)
    planner: RoleBackend | None = None
    oracle: RoleBackend | None = None
    agent: RoleBackend | None = None

    @model_validator(mode="after")
    def _grid(self) -> BackendConfig:
        if self.models is not None:
            if self.model is not None:
                raise ValueError("give backend.model or backend.models (a grid), not both")
            if not self.models or len(set(self.models)) != len(self.models):
                raise ValueError("backend.models must list distinct model names")
            for m in self.models:
                if not re.match(r"^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,199}$", m) or ".." in m:
                    raise ValueError(f"backend.models: {m!r} is not a model name")
        return self

    @field_validator("base_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        return _check_url(v)


class CallConfig(_Strict):
    """How calls are made: sampling, limits and budgets."""

    temperature: float = Field(default=0.7, ge=0, le=2)
    max_tokens_agent: int = Field(default=60, ge=8, le=32768)
    max_tokens_planner: int = Field(default=80, ge=8, le=32768)
    max_tokens_oracle: int = Field(default=160, ge=8, le=32768)
    max_parse_retries: int = Field(default=2, ge=0, le=20)
    max_calls: int = Field(default=2000, ge=1)
    concurrency: int | None = Field(default=None, ge=1, le=256)


class ModelConfig(_Strict):
    """The planner's problem (MODEL.md §2) used for prompts, the optimum and scoring."""

    p: float = 0.7
    C: float = 1.0
    k: float = 0.5
    cost: Literal["linear", "power"] = "linear"
    alpha: float | None = None
    delta: float = 0.9

    @model_validator(mode="after")
    def _spec(self) -> ModelConfig:
        for planner in PLANNERS:  # the one problem spec checks every field
            self.spec(planner, True)
        return self

    def spec(self, planner: str, forward: bool) -> Any:
        """The :class:`~steerherd.spec.ProblemSpec` (myopic: δ = 0)."""
        return parse_spec({"planner": planner, "p": self.p, "C": self.C, "k": self.k,
                           "cost": self.cost, "alpha": self.alpha,
                           "delta": self.delta if forward else 0.0}, source="[model]")

    def params(self, planner: str, forward: bool) -> Params:
        """Validated :class:`~steerherd.model.Params` (myopic: δ = 0)."""
        return self.spec(planner, forward).params()  # type: ignore[no-any-return]


Horizon = Literal["myopic", "forward"]


def _beliefs(v: list[float]) -> list[float]:
    if not v:
        raise ValueError("needs at least one public belief")
    for x in v:
        if not (math.isfinite(x) and 0.0 < x < 1.0):
            raise ValueError(f"public belief {x} is not in (0, 1) (a history of tips below "
                             "100% cannot make the public certain)")
    return v


class BeliefsConfig(_Strict):
    """Agent belief elicitation: public belief × precision × signal × replicate."""

    public_beliefs: list[float] = [0.2, 0.5, 0.8]
    precisions: list[float] = [0.6, 0.8]
    signals: list[Literal["good", "bad"]] = ["good", "bad"]
    replicates: int = Field(default=1, ge=1)

    @field_validator("public_beliefs")
    @classmethod
    def _b(cls, v: list[float]) -> list[float]:
        return _beliefs(v)

    @field_validator("precisions")
    @classmethod
    def _precisions(cls, v: list[float]) -> list[float]:
        if not v:
            raise ValueError("needs at least one precision")
        for x in v:
            if not (math.isfinite(x) and 0.5 <= x <= 1.0):
                raise ValueError(f"precision {x} is not in [0.5, 1]")
        return v


class PolicyConfig(_Strict):
    """Planner policy elicitation at a grid of public beliefs."""

    public_beliefs: list[float] = [0.1, 0.3, 0.5, 0.7, 0.9]
    planners: list[Planner] = ["altruistic"]
    horizons: list[Horizon] = ["myopic"]
    replicates: int = Field(default=1, ge=1)
    show_public_belief: bool = True
    #: decimals of the percent the planner is shown (1: "15.5%", fine enough for an exact
    #: planner to pick the optimal whole-percent precision)
    belief_decimals: int = Field(default=1, ge=0, le=4)

    @field_validator("public_beliefs")
    @classmethod
    def _b(cls, v: list[float]) -> list[float]:
        return _beliefs(v)


Setting = Literal["analytical", "llm", "hybrid", "llm_planner_bayesian", "always_full",
                  "always_full_llm", "always_p", "always_p_llm", "resolved"]


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
    belief_decimals: int = Field(default=1, ge=0, le=4)


class Price(_Strict):
    """US dollars per million prompt and completion tokens."""

    input_per_mtok: float = Field(ge=0)
    output_per_mtok: float = Field(ge=0)


class ExperimentConfig(_Strict):
    """A whole experiment file (``sims/llm_*.toml``)."""

    name: str
    seed: int = Field(default=0, ge=0)
    prompt_version: str = PROMPT_VERSION
    #: a prompt directory given on the command line (``--prompts``); never read from a file
    prompt_dir: str | None = None
    backend: BackendConfig = BackendConfig()
    calls: CallConfig = CallConfig()
    model: ModelConfig = ModelConfig()
    beliefs: BeliefsConfig | None = None
    policy: PolicyConfig | None = None
    sequential: SequentialConfig | None = None
    prices: dict[str, Price] = {}

    @field_validator("name", "prompt_version")
    @classmethod
    def _name(cls, v: str) -> str:
        if not NAME_RE.match(v) or ".." in v:
            raise ValueError(f"{v!r} is not a name (letters, digits, '.', '_', '-'; no path "
                             "separators, no '..')")
        return v

    @model_validator(mode="after")
    def _resolved_needs_beliefs(self) -> ExperimentConfig:
        if self.sequential is not None and "resolved" in self.sequential.settings and \
                self.beliefs is None:
            raise ValueError("sequential setting 'resolved' plays the policy solved against "
                             "the Behavioral fit of this run's answers: add a [beliefs] section")
        return self

    def role_backend(self, role: str) -> BackendConfig:
        """``[backend]`` with ``[backend.ROLE]`` applied (no role sections left)."""
        over = getattr(self.backend, role)
        base = self.backend.model_dump(exclude={"planner", "oracle", "agent", "models"})
        if over is not None:
            base.update({k: v for k, v in over.model_dump(exclude={"temperature"}).items()
                         if v is not None})
        return BackendConfig.model_validate(base)

    def grid(self) -> list[tuple[str, ExperimentConfig]]:
        """The cells of a model grid: (label, the experiment with that model), or [] if none.

        The label is a directory name made from the model name (``/`` and ``:`` become
        ``_``); each cell's roles are named in its run identity and the grid report.
        """
        if self.backend.models is None:
            return []
        cells = []
        for m in self.backend.models:
            be = self.backend.model_copy(update={"model": m, "models": None})
            label = re.sub(r"[^A-Za-z0-9._-]", "_", m)
            cells.append((label, self.model_copy(update={"backend": be})))
        return cells

    def temperature(self, role: str) -> float:
        """The role's sampling temperature (``[backend.ROLE] temperature`` or ``[calls]``)."""
        over = getattr(self.backend, role)
        if over is not None and over.temperature is not None:
            return float(over.temperature)
        return self.calls.temperature

    def concurrency(self) -> int:
        """``[calls] concurrency``, else 8 when a role is remote and 1 for local models."""
        if self.calls.concurrency is not None:
            return self.calls.concurrency
        remote = any(self.role_backend(r).kind != "local" for r in ROLES)
        return REMOTE_CONCURRENCY if remote else LOCAL_CONCURRENCY

    def size(self) -> tuple[int, int]:
        """(requests before parse retries, simulated agent steps), from the counts alone."""
        reqs = steps = 0
        if (b := self.beliefs) is not None:
            reqs += 2 * len(b.public_beliefs) * len(b.precisions) * len(b.signals) * b.replicates
        if (p := self.policy) is not None:
            reqs += len(p.planners) * len(p.horizons) * len(p.public_beliefs) * p.replicates
        if (s := self.sequential) is not None:
            from steerherd.llm.sequential import SETTINGS

            combos = len(s.planners) * len(s.horizons)
            per_run = s.agents * len(s.states) * s.runs
            for setting in s.settings:
                planner_kind, agent_kind = SETTINGS[setting]
                per_step = (planner_kind == "llm") + 2 * (agent_kind == "llm")
                reqs += per_step * per_run * combos
                steps += per_run * combos
            llm_agents = any(SETTINGS[x][1] == "llm" for x in s.settings)
            reqs += 2 * per_run * llm_agents
            steps += per_run * (1 + llm_agents)
        return reqs, steps


def check_size(cfg: ExperimentConfig, max_requests: int = MAX_REQUESTS,
               max_steps: int = MAX_STEPS) -> None:
    """Refuse a run larger than the stated limits, before anything is allocated.

    Raises:
        ParameterError: naming the size, the limit and the flag that raises it.
    """
    reqs, steps = cfg.size()
    if reqs > max_requests:
        raise ParameterError(f"the experiment makes {reqs:,} requests (before parse retries), "
                             f"above the limit of {max_requests:,}; shrink the grid or pass "
                             "--max-requests N")
    if steps > max_steps:
        raise ParameterError(f"the sequential runs simulate {steps:,} agent steps, above the "
                             f"limit of {max_steps:,}; shrink runs × agents or pass "
                             "--max-steps N")


def load_config(path: str | Path, overrides: dict[str, Any] | None = None,
                max_requests: int = MAX_REQUESTS, max_steps: int = MAX_STEPS,
                prompt_dir: str | Path | None = None) -> ExperimentConfig:
    """Read and validate a TOML experiment file, with command-line overrides merged in.

    Args:
        path: the TOML file.
        overrides: nested values to set (e.g. ``{"backend": {"kind": "openai"}}``).
        max_requests: the request limit (``--max-requests``).
        max_steps: the sequential-step limit (``--max-steps``).
        prompt_dir: a prompt directory given on the command line (``--prompts``).

    Raises:
        ParameterError: the file is missing, not TOML, a field is unknown or out of range,
            an override is invalid, or the run is larger than the limits.
    """
    path = Path(path)
    data = read_toml(path, "experiment config")
    if "prompt_dir" in data:
        raise ParameterError(f"{str(path)!r}: prompt_dir cannot be set in a file; give a "
                             "prompt directory on the command line (--prompts DIR)")
    for section, values in (overrides or {}).items():
        if isinstance(values, dict):
            data[section] = {**data.get(section, {}), **values}
        else:
            data[section] = values
    if prompt_dir is not None:
        data["prompt_dir"] = str(Path(prompt_dir).resolve())
    cfg = validate(ExperimentConfig, data, path)
    check_size(cfg, max_requests, max_steps)
    check_prompt_version(cfg.prompt_version, cfg.prompt_dir)
    return cfg


def check_prompt_version(version: str, prompt_dir: str | None = None) -> None:
    """Refuse a prompt version that lacks a role's template (before anything is sent)."""
    from steerherd.llm.roles import template

    for role in ROLES:
        template(version, role, prompt_dir)
