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
at δ = 0.99, where V ≈ −100), the correction below is tried before the LU. At ρ ≥ 1 (not a
contraction: only possible with weights that do not sum to 1) the LU is used at once.

*Correction* (:func:`_corrected`). The rounding term is large because it is proportional to
‖V‖, not to what is still unknown. From the converged iterate V₀, the correction
W = V_σ − V₀ solves the same kind of system with the residual as its reward,

    W = d + δ P W,   d = r + δ P V₀ − V₀,

so the same contraction (same A, c_W = d/(1 − δ s)) solves it, and its rounding term is
proportional to ‖W‖ (≈ the truncation left in V₀), not to ‖V‖. The residual is computed in
double-double arithmetic (error-free products and sums, Dekker and Knuth; Ogita, Rump and
Oishi's Dot2): with T_i = |r_i| + δ Σ_c w_c |V₀[j_c]| + |V₀_i|, the computed d̃ satisfies
|d̃ − d| ≤ η = 2u|d̃| + 64u²T (first order in u for the sum of the low parts), and that
error enters each step as at most η/(1 − δ s). The returned V = fl(V₀ + W) is then within

    ‖W_{k+1} − W_k‖/(1 − ρ) + [(m + 2)u‖|c_W| + A|W|‖ + ‖η/(1 − δ s)‖]/(1 − ρ) + u‖V‖

of V_σ; the first term must be ≤ ``TOL`` and the other two together ≤ ``TOL`` (so the
bound is 2·TOL again), else the LU is used. On the biased planner at δ = 0.99 (V ≈ −100),
the correction takes a few steps instead of the LU's 5 ms at 2,001 nodes.
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
WARMUP = 6
#: The unit roundoff of float64.
UNIT_ROUNDOFF = 2.0**-53
#: A step at most this times max|V| is rounding noise: the contraction stops there and the
#: correction (see the module docstring) takes over from that iterate.
STALL = 16.0 * UNIT_ROUNDOFF


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
    out = _evaluate(reward, nodes, weights, delta, None)
    assert out is not None  # without a step budget there is always an answer
    return out


def try_evaluate(
    reward: FloatArray,
    nodes: Sequence[IntArray],
    weights: Sequence[FloatArray] | FloatArray,
    delta: float,
    steps: int,
) -> FloatArray | None:
    """:func:`evaluate`'s result, bit for bit, if it needs no LU and few steps; else None.

    "Few": its contraction stops within ``steps`` steps, so a None costs at most that many.
    For a caller that only wants V_σ now if it is cheap (the fast solver, before a sweep).
    """
    return _evaluate(reward, nodes, weights, delta, steps)


def _evaluate(reward: FloatArray, nodes: Sequence[IntArray],
              weights: Sequence[FloatArray] | FloatArray, delta: float, budget: int | None
              ) -> FloatArray | None:
    """:func:`evaluate`, or with a step budget :func:`try_evaluate` (None: not within it)."""
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
        return None if budget is not None else lu_solve(reward, idx, w, delta)
    c = reward / denom
    if rho == 0.0:
        return c
    found = _contract(c, idx, off, rho, stall=STALL, limit=budget or MAX_STEPS)
    if found is None:
        return None if budget is not None else lu_solve(reward, idx, w, delta)
    v, truncation, rounding = found
    if truncation <= TOL and rounding <= TOL:
        return v
    corrected = _corrected(reward, idx, w, delta, off, rho, denom, v)
    if corrected is None and budget is None:
        return lu_solve(reward, idx, w, delta)
    return corrected


def _contract(c: FloatArray, idx: Sequence[IntArray], off: Sequence[FloatArray], rho: float,
              extra: FloatArray | None = None, stall: float = 0.0, limit: int = MAX_STEPS
              ) -> tuple[FloatArray, float, float] | None:
    """Iterate V ↦ c + A V from c until the step bound is ≤ ``TOL``.

    Returns (V, its truncation bound, its first-order rounding bound), or None when the
    observed contraction needs more than ``MAX_STEPS`` steps (or ``limit`` are taken without
    stopping: :func:`try_evaluate`'s budget). It also stops when a step is
    at most ``stall``·max|V| (rounding noise: the steps stop shrinking there). ``extra``
    (per node) is added to each step's rounding error (the correction's residual error,
    already divided by 1 − δ s).
    """
    n = c.size
    vp = np.zeros(n + 1)  # the padded node n has value 0 (and weight 0)
    v = c
    steps: list[float] = []
    for k in range(1, min(limit, MAX_STEPS) + 1):
        vp[:n] = v
        new = c.copy()
        for j, a in zip(idx, off, strict=True):
            new += a * vp[j]
        step = float(np.max(np.abs(new - v)))
        if step / (1.0 - rho) <= TOL or step <= stall * float(np.max(np.abs(new))):
            # v is returned: |v − V_σ| ≤ (I − A)⁻¹(|new − v| + e), e the step's rounding.
            size = (len(idx) + 2) * UNIT_ROUNDOFF * (np.abs(c) + sum(
                (a * np.abs(vp[j]) for j, a in zip(idx, off, strict=True)), np.zeros(n)))
            if extra is not None:
                size = size + extra
            return v, step / (1.0 - rho), float(np.max(size)) / (1.0 - rho)
        v = new
        steps.append(step)
        if k >= WARMUP and _too_slow(steps, rho, k):
            break
    return None


def _corrected(reward: FloatArray, idx: Sequence[IntArray], w: Sequence[FloatArray],
               delta: float, off: Sequence[FloatArray], rho: float, denom: FloatArray,
               v0: FloatArray) -> FloatArray | None:
    """V₀ + W, W solving W = d + δ P W (see *Correction*), or None if its bound fails."""
    d, eta = residual(reward, idx, w, delta, v0)
    if not (np.all(np.isfinite(d)) and np.all(np.isfinite(eta))):
        return None
    found = _contract(d / denom, idx, off, rho, eta / denom)
    if found is None:
        return None
    corr, truncation, rounding = found
    v: FloatArray = v0 + corr
    ok = truncation <= TOL and rounding + UNIT_ROUNDOFF * float(np.max(np.abs(v))) <= TOL
    return v if ok else None


def _two_sum(a: FloatArray, b: FloatArray) -> tuple[FloatArray, FloatArray]:
    """(s, e) with s = fl(a + b) and s + e = a + b exactly (Knuth)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _split(a: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Dekker's split of a into two 26-bit halves, a = hi + lo exactly."""
    t = 134217729.0 * a  # 2**27 + 1
    hi = t - (t - a)
    return hi, a - hi


def _two_prod(a: FloatArray | float, b: FloatArray) -> tuple[FloatArray, FloatArray]:
    """(p, e) with p = fl(a·b) and p + e = a·b exactly (Dekker; no overflow in the split)."""
    p = a * b
    ah, al = _split(np.asarray(a, dtype=np.float64))
    bh, bl = _split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def residual(reward: FloatArray, idx: Sequence[IntArray], w: Sequence[FloatArray],
             delta: float, v: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The residual d = r + δ Σ_c w_c V[j_c] − V in double-double, and a bound η on |d̃ − d|.

    An index n (one past the last node) reads 0, as in :func:`evaluate`. The bound is
    2u|d̃| + 64u²·T, T = |r| + δ Σ_c w_c|V[j_c]| + |V| (see the module docstring).
    """
    n = reward.size
    vp = np.zeros(n + 1)
    vp[:n] = v
    hi = np.zeros(n)
    lo = np.zeros(n)
    size = np.zeros(n)
    for j, x in zip(idx, w, strict=True):
        p, pe = _two_prod(x, vp[j])
        hi, se = _two_sum(hi, p)
        lo += pe + se
        size += np.abs(x) * np.abs(vp[j])
    t, te = _two_prod(delta, hi)
    lo = te + delta * lo
    s1, e1 = _two_sum(reward, t)
    s2, e2 = _two_sum(s1, -v)
    d = s2 + (lo + e1 + e2)
    total = np.abs(reward) + delta * size + np.abs(v)
    return d, 2.0 * UNIT_ROUNDOFF * np.abs(d) + 64.0 * UNIT_ROUNDOFF * UNIT_ROUNDOFF * total


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

    This module's fallback, and the start of
    :func:`steerherd.dp.certificate.refine_evaluation`. Its error is about cond·u·‖V‖
    (7.8e-12 on the biased planner at δ = 0.99, 2,001 nodes, V ≈ −100, where the
    contraction with its correction is within 1e-14).
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


def row_nodes(rows: PolicyRows) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """The nodes the four interpolation weights of the chosen rows fall on (in their order)."""
    return rows.lo_g, rows.lo_g + 1, rows.lo_b, rows.lo_b + 1


def evaluate_rows(rows: PolicyRows, delta: float) -> FloatArray:
    """:func:`evaluate` for the chosen rows of the belief grid (four interpolation weights)."""
    return evaluate(rows.reward, row_nodes(rows), rows.weights, delta)


def try_evaluate_rows(rows: PolicyRows, delta: float, steps: int) -> FloatArray | None:
    """:func:`try_evaluate` for the chosen rows of the belief grid."""
    return try_evaluate(rows.reward, row_nodes(rows), rows.weights, delta, steps)
