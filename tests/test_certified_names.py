"""Certified regimes use the grid's mode names, and never contradict a fine grid."""

from __future__ import annotations

import numpy as np
import pytest

import steerherd as sh
from steerherd.model import LinearCost, Params, PowerCost

CASES = [
    Params(planner="altruistic", p=0.7, delta=0.5, cost=LinearCost(0.5)),
    Params(planner="altruistic", p=0.6, delta=0.6, cost=LinearCost(3.0)),
    Params(planner="biased", p=0.7, delta=0.5, cost=LinearCost(0.5)),
    Params(planner="biased", p=0.6, delta=0.8, cost=LinearCost(0.5)),
    Params(planner="biased", p=0.81, delta=0.3, cost=PowerCost(0.7, 0.3)),
]


@pytest.mark.parametrize("par", CASES, ids=lambda p: f"{p.planner}-{p.p}-{p.delta}")
def test_certified_mode_equals_grid_mode(par: Params) -> None:
    sol = sh.solve(par, beliefs=8001, tol=1e-3)
    reg = sol.certified_regimes()
    cells = reg.cells
    sure = np.flatnonzero(reg.mode != "undecided")
    decided = float(np.sum(cells.hi[sure] - cells.lo[sure]))
    assert decided > 0.6  # the bounds decide most of the belief space
    centre = 0.5 * (cells.lo[sure] + cells.hi[sure])
    grid = sol.mode(centre)
    wrong = sure[reg.mode[sure] != grid]
    assert wrong.size == 0, [(cells.lo[i], cells.hi[i], reg.mode[i]) for i in wrong[:5]]
    assert set(reg.mode) <= {"baseline", "full", "informative", "obfuscate", "escape", "tip",
                             "other", "undecided"}


def test_biased_limit_from_above_is_escape_or_tip() -> None:
    """Below 1/2 the biased planner's limit q ↓ 1 − b is named by Theorem 5's regimes."""
    par = CASES[3]
    reg = sh.solve(par, beliefs=2001, tol=1e-3).certified_regimes()
    assert reg.mode_at(0.3) == "escape"  # 1 − b = 0.7 ≥ p
    assert reg.mode_at(0.45) == "tip"  # 1 − b = 0.55 < p
    assert "informative" not in set(reg.mode)
