"""The model (MODEL.md §1–2): parameters, costs, the Bayes step and the planner's rewards.

Pure numpy maths, no I/O. Every other part of steerherd calls the Bayes step here
(:func:`~steerherd.model.beliefs.successors` and the action rule) rather than writing it again.
"""

from steerherd.model.beliefs import (
    TIE_TOL,
    action_good,
    bayes_action_probs,
    critical_precision,
    is_informative,
    posterior,
    posterior_bad,
    posterior_good,
    prob_action_bad,
    prob_error,
    prob_signal_good,
    successors,
)
from steerherd.model.costs import (
    COST_FAMILIES,
    CallableCost,
    Cost,
    LinearCost,
    PowerCost,
    cost_from_dict,
    make_cost,
)
from steerherd.model.params import PLANNERS, Params, Planner
from steerherd.model.rewards import cost_of, reward, reward_from_actions

__all__ = [
    "COST_FAMILIES",
    "PLANNERS",
    "TIE_TOL",
    "CallableCost",
    "Cost",
    "LinearCost",
    "Params",
    "Planner",
    "PowerCost",
    "action_good",
    "bayes_action_probs",
    "cost_from_dict",
    "cost_of",
    "critical_precision",
    "is_informative",
    "make_cost",
    "posterior",
    "posterior_bad",
    "posterior_good",
    "prob_action_bad",
    "prob_error",
    "prob_signal_good",
    "reward",
    "reward_from_actions",
    "successors",
]
