"""Populations: Monte Carlo simulation, exact cascade statistics and welfare tables."""

from steerherd.sim.montecarlo import SimResult, paired_difference, simulate, simulate_paired
from steerherd.sim.policies import PolicyRule, PolicyTable, make_policy

__all__ = [
    "PolicyRule", "PolicyTable", "SimResult", "make_policy", "paired_difference", "simulate",
    "simulate_paired",
]
