"""Shared helpers for the benchmarks: timing with peak traced memory, peer problem builders."""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # scipy is imported where it is used: a sweep benchmark's spawned
    # workers re-import their main script, and must not pay for it
    import scipy.sparse as sp

    from steerherd.dp.bellman import Transitions


def measure(fn: Callable[[], Any], repeat: int = 3) -> tuple[Any, float, float]:
    """(result, best wall seconds of ``repeat`` calls, peak traced memory in MiB).

    The times come from calls without tracemalloc, whose hooks slow down allocation-heavy
    code unevenly (scipy.sparse more than numpy); the best of several calls damps the noise
    of a shared machine. The peak comes from one more, traced call. tracemalloc sees
    numpy/scipy buffers but not XLA's (JAX) or numba's.
    """
    seconds = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        out = fn()
        seconds = min(seconds, time.perf_counter() - start)
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        fn()
    finally:
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return out, seconds, peak


def sa_pairs(tr: Transitions) -> tuple[np.ndarray, np.ndarray, np.ndarray, sp.csr_matrix]:
    """QuantEcon's state-action pair form of steerherd's transitions.

    Returns:
        ``s_indices, a_indices, R, Q``: the feasible (node, candidate) pairs, their rewards
        and the sparse (pairs × nodes) transition matrix with at most 4 entries a row.
    """
    import scipy.sparse as sp

    n_s = tr.reward.shape[0]
    s_idx, a_idx = np.nonzero(np.isfinite(tr.reward))
    # Built directly in CSR form (four entries a row, in row order): the cheapest honest
    # conversion, so that QuantEcon is not charged for a COO-to-CSR sort.
    cols = np.stack([tr.lo_g, tr.lo_g + 1, tr.lo_b, tr.lo_b + 1], axis=-1)[s_idx, a_idx]
    cols = np.minimum(cols, n_s - 1)  # lo + 1 past the last node carries weight 0
    vals = np.moveaxis(tr.weights, 0, -1)[s_idx, a_idx]
    indptr = np.arange(0, 4 * s_idx.size + 1, 4)
    q = sp.csr_matrix((vals.reshape(-1), cols.reshape(-1), indptr), shape=(s_idx.size, n_s))
    q.sum_duplicates()
    return s_idx, a_idx, tr.reward[s_idx, a_idx], q


def mdptoolbox_form(tr: Transitions) -> tuple[list[sp.csr_matrix], np.ndarray]:
    """pymdptoolbox's form: one sparse S×S matrix per candidate, rewards (S, A).

    An infeasible pair gets a self-loop and a reward so low that it is never chosen (the
    toolbox takes no −inf).
    """
    import scipy.sparse as sp

    n_s, n_a = tr.reward.shape
    feasible = np.isfinite(tr.reward)
    worst = tr.reward[feasible].min()
    penalty = worst - 2.0 * (np.abs(tr.reward[feasible]).max() + 1.0) / (1.0 - tr.delta)
    reward = np.where(feasible, tr.reward, penalty)
    mats = []
    node = np.arange(n_s)
    for a in range(n_a):
        f = feasible[:, a]
        cols = np.stack([tr.lo_g[:, a], tr.lo_g[:, a] + 1, tr.lo_b[:, a], tr.lo_b[:, a] + 1])
        w = np.where(f, tr.weights[:, :, a], 0.0)
        w = np.vstack([w, (~f).astype(float)])
        cols = np.vstack([cols, node])
        rows = np.broadcast_to(node, cols.shape)
        keep = w != 0.0
        mats.append(sp.csr_matrix((w[keep], (rows[keep], cols[keep])), shape=(n_s, n_s)))
    return mats, reward


def markdown(rows: list[dict[str, Any]], cols: list[str]) -> str:
    """A markdown table of ``rows`` (dicts) over ``cols``."""
    out = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for r in rows:
        out.append("| " + " | ".join(_fmt(r.get(c, "")) for c in cols) + " |")
    return "\n".join(out)


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        if v == 0.0:
            return "0"
        return f"{v:.2e}" if abs(v) < 1e-2 or abs(v) >= 1e5 else f"{v:.3g}"
    return str(v)
