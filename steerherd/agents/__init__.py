"""Agent response models P(action | ω, public belief, precision) and their fitting."""

from steerherd.agents.fit import BehavioralFit, fit_behavioral_actions, fit_behavioral_beliefs
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
