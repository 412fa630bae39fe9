"""The fast solver's steps on its kernel: compiled (numba) or numpy, the same values.

:class:`Ops` is what :mod:`steerherd.dp.fast`'s loop calls for every step that has a
compiled form (sweep, row gathers, evaluations, Q-values, new grid columns); each method
runs :mod:`steerherd.dp.fast_kernel`'s compiled version when the problem was packed for it,
else the numpy one, and both give the same bits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from steerherd.dp.bellman import Transitions
from steerherd.dp.evaluate import evaluate_rows, try_evaluate_rows
from steerherd.dp.fast_bounds import Setting
from steerherd.dp.fast_kernel import Packed
from steerherd.dp.fast_kernel import column as compiled_column
from steerherd.dp.fast_kernel import evaluate as compiled_evaluate
from steerherd.dp.fast_kernel import q_values as compiled_q_values
from steerherd.dp.fast_kernel import select as compiled_select
from steerherd.dp.fast_kernel import sweep as compiled_sweep
from steerherd.dp.fast_kernel import widen as compiled_widen
from steerherd.dp.fast_setting import grid_column
from steerherd.dp.fast_sweep import Memory, SweepResult, sweep
from steerherd.dp.policy import PolicyRows, select
from steerherd.types import FloatArray, IntArray


@dataclass(frozen=True, eq=False)
class Ops:
    """The steps of :mod:`steerherd.dp.fast` on one kernel: compiled (``packed``) or numpy.

    Both return the same values bit for bit (:mod:`steerherd.dp.fast_kernel`).
    """

    packed: Packed | None  # None: numpy

    @property
    def compiled(self) -> bool:
        """Whether the compiled kernel runs."""
        return self.packed is not None

    def sweep(self, setting: Setting, v: FloatArray, exact_q: FloatArray, floor: FloatArray,
              memory: Memory | None = None, last: bool = False) -> SweepResult:
        """T V over the full candidate set.

        ``last``: probably the final sweep (the compiled kernel then keeps nothing new for a
        next one, whose memory is ``memory``).
        """
        if self.packed is None:
            return sweep(setting, v, exact_q, floor, memory)
        return compiled_sweep(setting, self.packed, v, exact_q, floor, memory,
                              keep=not (last and memory is not None))

    def select(self, tr: Transitions, policy: IntArray) -> PolicyRows:
        """The rows that ``policy`` picks (:func:`steerherd.dp.policy.select`)."""
        return select(tr, policy) if self.packed is None else compiled_select(tr, policy)

    def evaluate(self, rows: PolicyRows, delta: float) -> FloatArray:
        """:func:`steerherd.dp.evaluate.evaluate_rows` (compiled: the same bits)."""
        out = evaluate_rows(rows, delta) if self.packed is None else compiled_evaluate(rows, delta)
        assert out is not None  # without a step budget there is always an answer
        return out

    def try_evaluate(self, rows: PolicyRows, delta: float, steps: int) -> FloatArray | None:
        """:func:`steerherd.dp.evaluate.try_evaluate_rows` (compiled: the same bits)."""
        if self.packed is None:
            return try_evaluate_rows(rows, delta, steps)
        return compiled_evaluate(rows, delta, steps)

    def q_values(self, tr: Transitions, v: FloatArray) -> FloatArray:
        """:meth:`Transitions.q_values <steerherd.dp.bellman.Transitions.q_values>`."""
        if self.packed is None:
            return tr.q_values(v)
        return compiled_q_values(tr, v)

    def column(self, setting: Setting, j: IntArray, present: np.ndarray) -> Transitions:
        """Grid index ``j`` at every node (:func:`steerherd.dp.fast_setting.grid_column`)."""
        if self.packed is None or bool(np.any(present & (j < setting.first_informative))):
            return grid_column(setting.q_grid, setting.params, setting.grid, setting.agent, j,
                           present)
        return compiled_column(setting, self.packed, j, present)

    def widen(self, setting: Setting, active: Transitions, grid_arg: IntArray, add: np.ndarray,
              reach: int, memory: Memory | None = None) -> Transitions:
        """``active`` and the grid columns at ``grid_arg`` ± ``reach`` where ``add``."""
        if self.packed is not None:
            return compiled_widen(setting, self.packed, active, grid_arg, add, reach, memory)
        parts = [active]
        for offset in range(-reach, reach + 1):
            j = grid_arg + offset
            ok = add & (j >= setting.first_informative) & (j < setting.grid_stop)
            parts.append(self.column(setting, j, ok))
        return _concat(parts)


def _concat(parts: list[Transitions]) -> Transitions:
    """Candidate columns side by side."""
    return Transitions(
        q=np.concatenate([t.q for t in parts], axis=1),
        side=np.concatenate([t.side for t in parts], axis=1),
        kind=np.concatenate([t.kind for t in parts]),
        reward=np.concatenate([t.reward for t in parts], axis=1),
        lo_g=np.concatenate([t.lo_g for t in parts], axis=1),
        lo_b=np.concatenate([t.lo_b for t in parts], axis=1),
        weights=np.concatenate([t.weights for t in parts], axis=2),
        delta=parts[0].delta,
    )
