"""The belief grid: segments between breakpoints, with one-sided nodes at each breakpoint.

The value function can jump at a breakpoint x (for the biased planner at x = 1/2, where the
tie rule makes the agent follow its signal). The grid therefore carries three nodes at each
interior breakpoint: the left limit V(x−), the value V(x) itself, and the right limit V(x+).
A successor belief strictly inside a segment is interpolated linearly between nodes of that
segment only, so no interpolation ever crosses a jump; a successor that lands exactly on a
breakpoint uses the node of its side (exact, or a one-sided limit when the precision is).

A one-sided node's Bellman update is evaluated at x ± ``ETA``: a proxy for the limit whose
error is at most ETA times the local slope of V (about 1e-9 here, far below the grid error).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from steerherd.errors import ParameterError
from steerherd.model.tolerances import ETA, SNAP_TOL  # noqa: F401  (the table of tolerances)
from steerherd.types import ArrayLike, FloatArray, IntArray


@dataclass(frozen=True, eq=False)
class BeliefGrid:
    """Nodes of the belief grid, sorted by (position, side).

    Attributes:
        position: where each node sits for interpolation (x for all three nodes at x).
        side: −1 left limit, 0 the point itself, +1 right limit.
        belief: where each node's Bellman update is evaluated (x ± ETA for one-sided nodes).
        breakpoints: interior breakpoints, sorted.
    """

    position: FloatArray
    side: IntArray
    belief: FloatArray
    breakpoints: tuple[float, ...]

    @property
    def size(self) -> int:
        """Number of nodes (MDP states)."""
        return int(self.position.size)

    @cached_property
    def _segments(self) -> tuple[FloatArray, IntArray, IntArray, FloatArray]:
        """(left edges, first node, last node, spacing) of each uniform segment."""
        anchors = (0.0, *self.breakpoints, 1.0)
        first = [0] + [int(self.node_index(x, 1)) for x in self.breakpoints]
        last = [int(self.node_index(x, -1)) for x in self.breakpoints] + [self.size - 1]
        spacing = [(self.position[e] - self.position[f]) / (e - f)
                   for f, e in zip(first, last, strict=True)]
        return (np.array(anchors[:-1]), np.array(first), np.array(last), np.array(spacing))

    def locate(self, y: ArrayLike, side: ArrayLike | None = None) -> tuple[IntArray, FloatArray]:
        """Interpolation (lower node, weight of the upper node) for successor beliefs y.

        Each segment between breakpoints is uniform, so the lower node is found by arithmetic
        rather than by search.

        Args:
            y: successor beliefs in [0, 1].
            side: where y sits on a breakpoint, −1 left limit, 0 the point, +1 right limit;
                ignored unless y is (within SNAP_TOL of) a breakpoint. Default 0.

        Returns:
            ``lo, lam`` with V(y) ≈ (1 − lam)·V[lo] + lam·V[lo + 1]; lam = 0 on a node. The
            caller pads V with one entry so that ``lo + 1`` is valid at the last node.
        """
        y = np.minimum(np.maximum(np.asarray(y, dtype=np.float64), 0.0), 1.0)
        shape = y.shape
        y = y.reshape(-1)
        sides = None if side is None else np.broadcast_to(side, shape).reshape(-1)
        left, first, last, spacing = self._segments
        if self.breakpoints:
            seg = (y > self.breakpoints[0]).astype(np.int64)
            for x in self.breakpoints[1:]:
                seg += y > x
            off = y - left[seg]
            step = np.floor(off / spacing[seg]).astype(np.int64)
            lo = first[seg] + np.minimum(np.maximum(step, 0), last[seg] - first[seg] - 1)
            right: FloatArray | float = self._right_edges[seg]
        else:
            off = y - left[0]
            step = np.floor(off / spacing[0]).astype(np.int64)
            lo = first[0] + np.minimum(np.maximum(step, 0), last[0] - first[0] - 1)
            right = 1.0
        pos = self.position
        lam = np.minimum(np.maximum((y - pos[lo]) / (pos[lo + 1] - pos[lo]), 0.0), 1.0)
        # Snapping: only a y within SNAP_TOL of its segment's edges can sit on a breakpoint or
        # an endpoint; those few are found first and treated one edge at a time.
        near = np.flatnonzero((off <= SNAP_TOL) | (right - y <= SNAP_TOL))
        if near.size:
            yn = y[near]
            for x in (0.0, *self.breakpoints, 1.0):
                on = np.abs(yn - x) <= SNAP_TOL
                if on.any():
                    at = near[on]
                    if x in (0.0, 1.0):
                        lo[at] = self.node_index(x)
                    else:
                        lo[at] = self.node_index(x, 0 if sides is None else sides[at])
                    lam[at] = 0.0
        return lo.reshape(shape), lam.reshape(shape)

    @cached_property
    def _right_edges(self) -> FloatArray:
        """Right edge of each uniform segment (the next breakpoint, or 1)."""
        return np.array([*self.breakpoints, 1.0])

    def node_index(self, x: float, side: ArrayLike = 0) -> IntArray:
        """Index of the node at breakpoint (or endpoint) x on the given side."""
        first = int(np.searchsorted(self.position, x - SNAP_TOL, side="left"))
        if first >= self.size or abs(self.position[first] - x) > SNAP_TOL:
            raise ParameterError(f"{x} is not a node of the belief grid")
        if x in (0.0, 1.0):
            return np.full(np.shape(side), first, dtype=np.int64)
        return first + 1 + np.asarray(side, dtype=np.int64)


def make_belief_grid(n: int, breakpoints: ArrayLike = ()) -> BeliefGrid:
    """A grid of ``n`` nodes on [0, 1], uniform on each segment between breakpoints.

    Args:
        n: number of nodes (≥ 11); each segment gets nodes in proportion to its length
            (largest remainders), so the count is exactly ``n`` whenever
            n ≥ 4·len(breakpoints) + 3, wherever the breakpoints sit.
        breakpoints: beliefs in (0, 1) where V may jump; each gets three nodes.

    Raises:
        ParameterError: if n < 11.

    >>> g = make_belief_grid(11, [0.5])
    >>> [float(x) for x in g.position[3:8]], [int(s) for s in g.side[3:8]]
    ([0.375, 0.5, 0.5, 0.5, 0.625], [0, -1, 0, 1, 0])
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 11:
        raise ParameterError(f"the number of beliefs must be a whole number >= 11, got {n!r}")
    bps = sorted({float(x) for x in np.atleast_1d(breakpoints) if 0.0 < float(x) < 1.0})
    edges = [0.0, *bps, 1.0]
    free = max(n - 3 * len(bps) - 2, len(edges) - 1)
    counts = _apportion(free, np.diff(edges))
    positions: list[FloatArray] = []
    sides: list[IntArray] = []
    for j, (a, c) in enumerate(zip(edges[:-1], edges[1:], strict=True)):
        if j == 0:
            positions.append(np.array([0.0]))
            sides.append(np.array([0]))
        inner = int(counts[j])
        positions.append(np.linspace(a, c, inner + 2)[1:-1])
        sides.append(np.zeros(inner, dtype=np.int64))
        if c < 1.0:
            positions.append(np.array([c, c, c]))
            sides.append(np.array([-1, 0, 1]))
        else:
            positions.append(np.array([1.0]))
            sides.append(np.array([0]))
    position = np.concatenate(positions).astype(np.float64)
    side = np.concatenate(sides).astype(np.int64)
    belief = np.clip(position + ETA * side, 0.0, 1.0)
    return BeliefGrid(position=position, side=side, belief=belief, breakpoints=tuple(bps))


def _apportion(total: int, lengths: FloatArray) -> IntArray:
    """Split ``total`` inner nodes over segments in proportion to their lengths, exactly.

    Largest remainders (ties to the left), at least one node a segment: the node count then
    depends on n and the number of breakpoints only, not on where they sit, so grids for a
    batch of parameters (breakpoints 1 − p, 1/2, p) share one shape.
    """
    raw = total * np.asarray(lengths, dtype=np.float64)
    counts = np.maximum(np.floor(raw).astype(np.int64), 1)
    short = total - int(counts.sum())
    order = np.argsort(-(raw - np.floor(raw)), kind="stable")
    for j in range(abs(short)):
        if short > 0:
            counts[order[j % counts.size]] += 1
        else:  # only when the at-least-one rule overshoots: take from the largest
            counts[int(np.argmax(counts))] -= 1
    return counts


def make_precision_grid(q_min: float, n: int) -> FloatArray:
    """``n`` precisions evenly spaced on [q_min, 1].

    Raises:
        ParameterError: if n < 2.
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 2:
        raise ParameterError(f"the number of precisions must be a whole number >= 2, got {n!r}")
    return np.linspace(q_min, 1.0, n)
