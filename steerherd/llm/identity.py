"""Run identity: the configuration hash and the model of every role, recorded in the store.

A run directory belongs to one experiment. Its identity is everything that can change an
answer: the seed, the prompts (their sha256, not only their version name), the problem, the
experiment grids, the sampling settings, and for each role (planner, oracle, agent) the
backend kind, the normalised endpoint, the model name and the temperature. Transport settings
(timeouts, retries, budget, concurrency, rate limits, local threads) may change between
sessions. When a client is at hand, what it serves is recorded too (the endpoint's ``/models``
entry for the model, or the GGUF file's identity) and compared on resume. Anything that
differs is refused in one line naming it.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

from steerherd.errors import ParameterError
from steerherd.llm.config import ROLES, ExperimentConfig
from steerherd.llm.types import normalise_endpoint

#: Config sections and fields that do not change an answer.
_TRANSPORT_CALLS = {"max_calls", "concurrency"}


def role_model(cfg: ExperimentConfig, role: str) -> dict[str, Any]:
    """The configured model of ``role``: kind, normalised endpoint, model name, temperature."""
    be = cfg.role_backend(role)
    if be.kind == "local":  # base_url and model are the remote backend's; the GGUF names it
        gguf = Path(be.gguf).name if be.gguf else "SmolLM2-135M-Instruct.gguf (built in)"
        endpoint, model = f"local:{gguf}", gguf.split(".gguf")[0].split(".Q")[0]
    else:
        endpoint, model = normalise_endpoint(be.base_url or ""), be.model or ""
    return {"kind": be.kind, "endpoint": endpoint, "model": model,
            "temperature": cfg.temperature(role)}


def run_identity(cfg: ExperimentConfig) -> dict[str, Any]:
    """Everything in the configuration that can change an answer (see the module)."""
    from steerherd.llm.roles import prompts_sha256

    data: dict[str, Any] = json.loads(cfg.model_dump_json())
    for key in ("name", "backend", "prices", "prompt_dir"):
        data.pop(key, None)
    data["calls"] = {k: v for k, v in data["calls"].items() if k not in _TRANSPORT_CALLS}
    data["calls"].pop("temperature", None)  # per role, below
    data["prompts_sha256"] = prompts_sha256(cfg.prompt_version, cfg.prompt_dir)
    data["roles"] = {r: role_model(cfg, r) for r in ROLES}
    return data


def config_sha256(identity: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of an identity."""
    blob = json.dumps(identity, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def differences(stored: Any, current: Any, prefix: str = "") -> list[str]:
    """Dotted paths where two JSON values differ, with both values for leaves."""
    if isinstance(stored, dict) and isinstance(current, dict):
        out: list[str] = []
        for k in sorted(set(stored) | set(current)):
            out += differences(stored.get(k), current.get(k), f"{prefix}{k}.")
        return out
    if stored == current:
        return []
    return [f"{prefix.rstrip('.')} (stored {_short(stored)}, now {_short(current)})"]


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_identity(store: Any, cfg: ExperimentConfig, out: Path) -> dict[str, Any]:
    """Record the identity in a new store, or refuse one that holds another experiment.

    Raises:
        ParameterError: the store holds a run whose identity differs (one line naming what).
    """
    current = run_identity(cfg)
    stored = store.get_meta("identity")
    if stored is not None and stored != current:
        diff = differences(stored, current) if "roles" in stored else [
            "written by an older steerherd without a recorded identity"]
        shown = "; ".join(diff[:4]) + (f"; and {len(diff) - 4} more" if len(diff) > 4 else "")
        raise ParameterError(f"{out} holds a run of another configuration (differs in "
                             f"{shown}); use a new --out directory")
    if stored is None:
        store.set_meta("identity", current)
        store.set_meta("config_sha256", config_sha256(current))
        store.set_meta("models", current["roles"])
    store.set_meta("config", json.loads(cfg.model_dump_json()))
    return current


def served_identity(client: Any) -> dict[str, Any]:
    """What a live client serves: its endpoint identity, model name and ``/models`` id."""
    served = None
    lister = getattr(client, "served_models", None)
    if lister is not None:
        ids = lister()
        if ids:
            served = client.model if client.model in ids else ids[0] if len(ids) == 1 else None
            served = served or f"not listed ({len(ids)} models listed)"
    return {"endpoint": str(client.endpoint), "model": str(client.model), "served": served}


def check_served(store: Any, clients: dict[str, Any], out: Path | str) -> None:
    """Record what each role's client serves, or refuse a resume where it changed.

    Raises:
        ParameterError: a role's endpoint, model or served model differs from the stored one.
    """
    stored = store.get_meta("served") or {}
    now = {role: served_identity(c) for role, c in clients.items()}
    diff = []
    for role, ident in now.items():
        old = stored.get(role)
        if old is None:
            continue
        for field in ("endpoint", "model", "served"):
            a, b = old.get(field), ident[field]
            if field == "endpoint" and a is not None and b is not None:
                a, b = normalise_endpoint(a), normalise_endpoint(b)
            if a is not None and b is not None and a != b:
                diff.append(f"{role}.{field} (stored {_short(old[field])}, now "
                            f"{_short(ident[field])})")
    if diff:
        raise ParameterError(f"{out} holds answers from another model (differs in "
                             f"{'; '.join(diff)}); use a new --out directory")
    store.set_meta("served", {**stored, **{r: {**stored.get(r, {}), **{
        k: v for k, v in i.items() if v is not None}} for r, i in now.items()}})


def record_session(store: Any, overrides: dict[str, Any]) -> None:
    """Append this invocation (time and command-line overrides) to the store's sessions."""
    sessions = list(store.get_meta("sessions") or [])
    sessions.append({"started": time.strftime("%Y-%m-%d %H:%M:%S"), "overrides": overrides})
    store.set_meta("sessions", sessions)
