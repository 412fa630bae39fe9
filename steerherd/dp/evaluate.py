r"""Policy evaluation without scipy: V = r + δ P V by a contraction with a stated error bound.

The fast solver (:mod:`steerherd.dp.fast`) and the certified bounds' policy iteration
(:mod:`steerherd.dp.bounds.ops`) evaluate one fixed policy at a time: find V with

    V_i = r_i + δ · Σ_c w_c[i] · V[j_c[i]],   Σ_c w_c[i] = 1, w ≥ 0, 0 ≤ δ < 1,

for a chain with a few successors per node (four interpolation weights on the belief grid,
two successor cells for the bounds). A sparse LU solves this exactly but needs
``scipy.sparse`` (≈ 0.15 s to import, longer than the whole default ``steerherd solve``).
This module solves it with numpy gathers and falls back to the sparse LU, imported only
then, when that would be slow.

Method
------
*Self-loops first.* Let s_i = Σ_{c: j_c[i] = i} w_c[i] be node i's weight on itself (a
cascade node, where the agent ignores its signal, has s_i = 1: the belief stays put). Row i
of (I − δP)V = r, divided by 1 − δ s_i > 0, is the equivalent fixed-point equation

    V_i = r_i / (1 − δ s_i) + Σ_{c: j_c[i] ≠ i} a_c[i] · V[j_c[i]],
    a_c[i] = δ w_c[i] / (1 − δ s_i),

whose iteration matrix A has row sums ρ_i = δ(1 − s_i)/(1 − δ s_i) ≤ δ. So V ↦ c + A V is a
contraction in the sup norm with modulus ρ = max_i ρ_i ≤ δ (computed from the stored
weights), and its unique fixed point is the policy's value V_σ. An absorbing node is exact
after one step; a node whose successors are absorbing after two.

*Stopping rule.* For any V, (I − A)(V − V_σ) = V − (c + A V), and ‖(I − A)⁻¹‖∞ ≤ 1/(1 − ρ)
(A ≥ 0), so with V_{k+1} = c + A V_k

    ‖V_k − V_σ‖∞ ≤ ‖V_{k+1} − V_k‖∞ / (1 − ρ)   (exact arithmetic),

and V_k is returned once this bound is ≤ ``TOL`` = 1e-13 (it is 0 at an exact fixed point
of the floating-point map, which absorbing chains reach in a few steps). The tests check
the result against an extended-precision solution (error ≤ 2·TOL) and against the LU.

*Fallback.* The worst case needs log(TOL (1 − ρ)/(ρ‖d₁‖))/log ρ steps: about 300 at
δ = 0.9 and 3,000 at δ = 0.99 when the chain keeps mass on transient nodes. The observed
contraction of the last steps projects the number of steps still needed; when the total
would exceed ``MAX_STEPS`` (on the fast solver's rows one sparse LU costs 30–50 steps:
0.7 ms against 15 µs at 1,001 nodes, 20 ms against 0.4 ms at 20,001), or the step stops
shrinking, the sparse LU solves the system instead. *Rounding.* Each step adds at most
(m + 2)·u·(|c| + A|V|) per node (m successors, u = 2⁻⁵³), so the returned V is within
(‖V_{k+1} − V_k‖∞ + (m + 2)·u·‖|c| + A|V|‖∞)/(1 − ρ) of the fixed point of the system as
stored (first order). Both terms must be ≤ ``TOL``, so a returned V is within 2·TOL; when
the rounding term alone exceeds ``TOL`` (large ‖V‖ with ρ near 1, e.g. the biased planner
at δ = 0.99, where V ≈ −100), the LU is used. At ρ ≥ 1 (not a contraction: only possible
with weights that do not sum to 1) the LU is used at once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from steerherd.errors import ParameterError
from steerherd.types import FloatArray, IntArray

if TYPE_CHECKING:
    from steerherd.dp.policy import PolicyRows

#: The stopping rule's bound on ‖V_σ − V‖∞ from truncation, and the bound allowed for the
#: rounding (so a returned V is within 2·TOL of the stored system's solution).
TOL = 1e-13
#: Most contraction steps before the sparse LU is cheaper (see the module docstring).
MAX_STEPS = 64
#: Steps taken before the observed contraction rate is trusted for the projection.
_WARMUP = 6
#: The unit roundoff of float64.
_U = 2.0**-53


def evaluate(
    reward: FloatArray,
    nodes: Sequence[IntArray],
    weights: Sequence[FloatArray] | FloatArray,
    delta: float,
) -> FloatArray:
    """V_σ solving V = r + δ Σ_c w_c · V[j_c] (see the module docstring for the method).

    Args:
        reward: r, shape (n,).
        nodes: successor indices j_c, each shape (n,); an index of n (one past the last
            node) is allowed with weight 0, as the belief grid's interpolation produces.
        weights: w_c, one array of shape (n,) per entry of ``nodes`` (or a stacked array).
        delta: the discount factor, in [0, 1).

    Returns:
        V_σ, shape (n,), within 2·``TOL`` of the exact solution (truncation and first-order
        rounding), or the sparse LU's solution when the contraction would be slow.

    Raises:
        ParameterError: if ``delta`` is not in [0, 1).

    >>> r = np.array([1.0, 0.0])  # node 1 stays put, node 0 moves to node 1
    >>> evaluate(r, [np.array([1, 1])], [np.array([1.0, 1.0])], 0.5)
    array([1., 0.])
    """
    if not 0.0 <= delta < 1.0:
        raise ParameterError(f"policy evaluation needs delta in [0, 1), got {delta}")
    reward = np.asarray(reward, dtype=np.float64)
    if delta == 0.0:
        return reward.copy()
    n = reward.size
    here = np.arange(n)
    idx = [np.asarray(j) for j in nodes]
    w = [np.asarray(x, dtype=np.float64) for x in weights]
    self_w = np.zeros(n)
    for j, x in zip(idx, w, strict=True):
        self_w += np.where(j == here, x, 0.0)
    denom = 1.0 - delta * self_w
    off = [np.where(j == here, 0.0, delta * x / denom) for j, x in zip(idx, w, strict=True)]
    rho = float(np.max(sum(off, np.zeros(n)))) if n else 0.0
    if not rho < 1.0:
        return lu_solve(reward, idx, w, delta)
    c = reward / denom
    if rho == 0.0:
        return c
    vp = np.zeros(n + 1)  # the padded node n has value 0 (and weight 0)
    v = c
    steps: list[float] = []
    for k in range(1, MAX_STEPS + 1):
        vp[:n] = v
        new = c.copy()
        for j, a in zip(idx, off, strict=True):
            new += a * vp[j]
        step = float(np.max(np.abs(new - v)))
        if step / (1.0 - rho) <= TOL:
            # v is returned: |v − V_σ| ≤ (I − A)⁻¹(|new − v| + e), e the step's rounding.
            size = np.abs(c) + sum((a * np.abs(vp[j]) for j, a in zip(idx, off, strict=True)),
                                   np.zeros(n))
            rounding = (len(idx) + 2) * _U * float(np.max(size)) / (1.0 - rho)
            return v if rounding <= TOL else lu_solve(reward, idx, w, delta)
        v = new
        steps.append(step)
        if k >= _WARMUP and _too_slow(steps, rho, k):
            break
    return lu_solve(reward, idx, w, delta)


def _too_slow(steps: list[float], rho: float, k: int) -> bool:
    """Whether the observed contraction needs more than ``MAX_STEPS`` steps in all."""
    rate = (steps[-1] / steps[-4]) ** (1.0 / 3.0) if steps[-4] > 0 else 1.0
    if rate >= 1.0:
        return True
    need = math.log(TOL * (1.0 - rho) / steps[-1]) / math.log(rate)
    return k + need > MAX_STEPS


def lu_solve(reward: FloatArray, idx: Sequence[IntArray], w: Sequence[FloatArray], delta: float
             ) -> FloatArray:
    """Solve (I − δP)V = r, P[i, idx[c][i]] += w[c][i], with a sparse LU (scipy imported here).

    The full solvers' exact policy evaluation and this module's fallback.
    """
    import scipy.sparse as sp
    import scipy.sparse.linalg as spla

    n = reward.size
    rows = np.concatenate([np.arange(n)] * len(idx))
    cols = np.concatenate(idx)
    vals = np.concatenate(w)
    keep = vals != 0.0
    p = sp.csr_matrix((vals[keep], (rows[keep], cols[keep])), shape=(n, n))
    a = (sp.identity(n, format="csr") - delta * p).tocsc()
    return np.asarray(spla.spsolve(a, reward), dtype=np.float64)


def evaluate_rows(rows: PolicyRows, delta: float) -> FloatArray:
    """:func:`evaluate` for the chosen rows of the belief grid (four interpolation weights)."""
    nodes = (rows.lo_g, rows.lo_g + 1, rows.lo_b, rows.lo_b + 1)
    return evaluate(rows.reward, nodes, rows.weights, delta)
