"""The belief grid's node count depends on n and the number of breakpoints only."""

from __future__ import annotations

import numpy as np
import pytest

from steerherd.dp.grid import make_belief_grid


@pytest.mark.parametrize("n", [101, 501, 1001, 2001])
def test_node_count_is_exactly_n_wherever_the_breakpoints_sit(n: int) -> None:
    sizes = {make_belief_grid(n, [1 - p, 0.5, p]).size for p in np.linspace(0.5001, 0.999, 500)}
    assert sizes == {n}


def test_segments_stay_proportional() -> None:
    g = make_belief_grid(1001, [0.3, 0.5, 0.7])
    inner = g.position[(g.side == 0) & (g.position > 0) & (g.position < 0.3)]
    assert inner.size == 297  # 990 free nodes × 0.3
