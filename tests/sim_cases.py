"""Shared cases of the simulation tests: the biased problem and its solution."""

from __future__ import annotations

import steerherd as sh
from steerherd.model import Params

#: A metric that is constant across runs has a CI of width 0: allow for float summation
#: order between Monte Carlo and enumeration (measured differences ≈ 1e-10 over 30 agents).
FLOAT_TOL = 1e-8
P = Params(planner="biased", p=0.7, delta=0.9, cost=sh.LinearCost(0.5))

