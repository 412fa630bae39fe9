"""Agent response models P(action | ω, public belief, precision) and their fitting.

The fitting names are loaded from :mod:`steerherd.agents.fit` on first use: solving needs
the models only.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from steerherd.agents.models import (
    AgentModel,
    Bayesian,
    Behavioral,
    Tabulated,
    agent_from_dict,
    agreement,
    check_probabilities,
    expit,
    logit,
)

if TYPE_CHECKING:
    from steerherd.agents.fit import BehavioralFit, fit_behavioral_actions, fit_behavioral_beliefs

_FIT = ("BehavioralFit", "fit_behavioral_actions", "fit_behavioral_beliefs")


def __getattr__(name: str) -> Any:
    if name in _FIT:
        value = getattr(importlib.import_module("steerherd.agents.fit"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'steerherd.agents' has no attribute {name!r}")


__all__ = [
    "AgentModel",
    "Bayesian",
    "Behavioral",
    "BehavioralFit",
    "Tabulated",
    "agent_from_dict",
    "agreement",
    "check_probabilities",
    "expit",
    "fit_behavioral_actions",
    "fit_behavioral_beliefs",
    "logit",
]
