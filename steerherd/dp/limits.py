"""Precisions that may be one-sided limits, and how to play them.

The planner's supremum is sometimes not attained (MODEL.md §3, Theorem 5): the best it can do
at b is approached by q ↑ m (``obfuscate``: the agent ignores its signal) or q ↓ c (``escape``,
``tip``: the agent follows its signal and a favourable signal moves the belief just past 1/2).
Handing the limit value itself to an agent does the opposite of what the supremum means
(at q = m the agent follows its signal). So :meth:`steerherd.solution.Solution.policy`
returns a :class:`PolicyChoice`: the limit *with its side*; ``choice.play(margin)`` (or
``sol.policy(b, margin=...)``) gives real precisions q − margin or q + margin that an agent
can be handed.

>>> import numpy as np
>>> c = PolicyChoice(np.array([0.7, 0.6, 0.55]), np.array([0, -1, 1]), q_min=0.5)
>>> c.play(1e-3).tolist()
[0.7, 0.599, 0.551]
>>> c.attained.tolist()
[True, False, False]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from steerherd.errors import ParameterError
from steerherd.types import BoolArray, FloatArray, IntArray

#: Largest margin accepted by :meth:`PolicyChoice.play`: beyond it the played precision is no
#: longer near the supremum and its value can differ from the reported one by much.
MAX_MARGIN = 1e-2


def check_margin(margin: object) -> float:
    """A margin in (0, MAX_MARGIN], or ParameterError naming it."""
    if (isinstance(margin, bool) or not isinstance(margin, int | float | np.floating)
            or not 0.0 < float(margin) <= MAX_MARGIN):
        raise ParameterError(f"margin must be a number in (0, {MAX_MARGIN}], got {margin!r}")
    return float(margin)


@dataclass(frozen=True, eq=False)
class PolicyChoice:
    """q*(b) with the side of its limit.

    Attributes:
        q: the precision where attained, else the limit value.
        side: 0 attained; −1 the supremum is q ↑ ``q`` (play a little less); +1 it is
            q ↓ ``q`` (play a little more).
        q_min: the least precision the planner may choose.

    ``np.asarray(choice)`` and ``float(choice)`` give ``q`` (the limit value, for plotting and
    for comparing with formulas); they are not precisions to hand to an agent where
    ``side`` ≠ 0: use :meth:`play`.
    """

    q: FloatArray
    side: IntArray
    q_min: float = 0.5

    @property
    def attained(self) -> BoolArray:
        """True where q is attained (side 0)."""
        mask: BoolArray = np.asarray(self.side) == 0
        return mask

    def play(self, margin: float) -> FloatArray:
        """Playable precisions: q, q − margin (side −1) or q + margin (side +1).

        A step that would leave [q_min, 1] is shortened to half the room left, so the played
        precision stays strictly on the limit's side.

        Raises:
            ParameterError: unless 0 < margin ≤ MAX_MARGIN.
        """
        m = check_margin(margin)
        q = np.asarray(self.q, dtype=np.float64)
        side = np.asarray(self.side)
        down = np.minimum(m, 0.5 * (q - self.q_min))
        up = np.minimum(m, 0.5 * (1.0 - q))
        return np.where(side < 0, q - down, np.where(side > 0, q + up, q))

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return np.asarray(self.q, dtype=dtype)

    def __float__(self) -> float:
        return float(np.asarray(self.q))

    def __repr__(self) -> str:
        return f"PolicyChoice(q={np.asarray(self.q)!r}, side={np.asarray(self.side)!r})"
