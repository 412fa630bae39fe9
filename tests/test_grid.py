"""The belief grid: one-sided nodes, interpolation, snapping to breakpoints."""

from __future__ import annotations

import numpy as np
import pytest

from steerherd import ParameterError
from steerherd.dp.grid import ETA, SNAP_TOL, make_belief_grid, make_precision_grid


@pytest.fixture
def grid():  # type: ignore[no-untyped-def]
    return make_belief_grid(501, [0.3, 0.5, 0.7])


def test_layout(grid) -> None:  # type: ignore[no-untyped-def]
    assert np.all(np.diff(grid.position) >= 0)
    for x in (0.3, 0.5, 0.7):
        idx = grid.node_index(x, np.array([-1, 0, 1]))
        np.testing.assert_array_equal(grid.side[idx], [-1, 0, 1])
        np.testing.assert_allclose(grid.belief[idx], [x - ETA, x, x + ETA])
    assert grid.position[0] == 0.0 and grid.position[-1] == 1.0


def test_locate_interpolates_positions_exactly(grid) -> None:  # type: ignore[no-untyped-def]
    y = np.random.default_rng(1).random(10_000)
    lo, lam = grid.locate(y)
    pos = np.append(grid.position, 1.0)
    np.testing.assert_allclose((1 - lam) * pos[lo] + lam * pos[lo + 1], y, atol=1e-12)
    # never interpolates across a breakpoint triplet
    assert not np.any((grid.side[lo] == -1) & (lam > 0))
    assert not np.any(
        (grid.side[lo] == 0) & np.isin(grid.position[lo], [0.3, 0.5, 0.7]) & (lam > 0)
    )


def test_snapping_respects_side(grid) -> None:  # type: ignore[no-untyped-def]
    y = np.array([0.5 + SNAP_TOL / 2, 0.5 - SNAP_TOL / 2, 0.5, 0.5 + 1e-6])
    lo, lam = grid.locate(y, np.array([1, -1, 0, 1]))
    np.testing.assert_array_equal(grid.side[lo[:3]], [1, -1, 0])
    assert np.all(lam[:3] == 0)
    assert grid.side[lo[3]] == 1 and lam[3] > 0  # just inside (1/2, next]: right segment


def test_grid_errors() -> None:
    with pytest.raises(ParameterError, match="number of beliefs must be a whole number >= 11"):
        make_belief_grid(5)
    with pytest.raises(ParameterError, match="number of precisions must be a whole number >= 2"):
        make_precision_grid(0.5, 1)
