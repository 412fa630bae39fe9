r"""The one expected-value kernel of the Bellman operator, for numpy and jax.numpy alike.

Each (belief node, candidate precision) pair has two successors, b'_G and b'_B, each
interpolated linearly between two nodes of its grid segment (:mod:`steerherd.dp.grid`):

    E[V(b')] = P_G·[(1 − λ_G)·V[lo_G] + λ_G·V[lo_G + 1]]
             + (1 − P_G)·[(1 − λ_B)·V[lo_B] + λ_B·V[lo_B + 1]],

stored as two index arrays and four weights ``(P_G(1 − λ_G), P_G λ_G, (1 − P_G)(1 − λ_B),
(1 − P_G) λ_B)``. The numpy solvers, the policy rows, the LP and the JAX backend all call
this function, so the discretisation they solve is one and the same.
"""

from __future__ import annotations

from typing import Any, overload

import numpy as np

from steerherd.types import FloatArray, IntArray


# The numpy call sites get a float array back; jax arrays (untyped to mypy) stay Any.
@overload
def expected_value(v: FloatArray, lo_g: IntArray, lo_b: IntArray, weights: FloatArray,
                   xp: Any = ...) -> FloatArray: ...


@overload
def expected_value(v: Any, lo_g: Any, lo_b: Any, weights: Any, xp: Any = ...) -> Any: ...


def expected_value(v: Any, lo_g: Any, lo_b: Any, weights: Any, xp: Any = np) -> Any:
    """E[V(b')] for every pair from the successors' lower nodes and the four weights.

    Args:
        v: values at the nodes, shape (S,).
        lo_g: lower interpolation node of the successor after a G action (any shape).
        lo_b: lower interpolation node of the successor after a B action (shape of ``lo_g``).
        weights: shape (4, *lo_g.shape).
        xp: the array namespace (numpy or jax.numpy).

    Returns:
        E[V(b')], shape of ``lo_g``.

    >>> v = np.array([0.0, 1.0, 2.0])
    >>> w = np.array([[0.5], [0.0], [0.25], [0.25]])  # b'_G on node 0, b'_B halfway 1–2
    >>> expected_value(v, np.array([0]), np.array([1]), w)
    array([0.75])
    """
    # lo + 1 may point one past the last node (a successor on the last node, weight 0): pad.
    vp = xp.concatenate([v, xp.zeros(1, dtype=v.dtype)])
    w = weights
    return w[0] * vp[lo_g] + w[1] * vp[lo_g + 1] + w[2] * vp[lo_b] + w[3] * vp[lo_b + 1]
