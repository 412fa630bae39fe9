"""Shared helpers for the benchmarks: timing with peak traced memory, peer problem builders."""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp

from steerherd.dp.bellman import Transitions


def measure(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """(result, wall seconds, peak traced memory in MiB) of one call.

    tracemalloc sees every numpy/scipy allocation made through Python's allocator hooks
    (numpy reports its data buffers to it); it does not see XLA's buffers (JAX) or numba's.
    """
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    start = time.perf_counter()
    try:
        out = fn()
    finally:
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return out, seconds, peak


def sa_pairs(tr: Transitions) -> tuple[np.ndarray, np.ndarray, np.ndarray, sp.csr_matrix]:
    """QuantEcon's state-action pair form of steerherd's transitions.

    Returns:
        ``s_indices, a_indices, R, Q``: the feasible (node, candidate) pairs, their rewards
        and the sparse (pairs × nodes) transition matrix with at most 4 entries a row.
    """
    n_s = tr.reward.shape[0]
    feasible = np.isfinite(tr.reward)
    s_idx, a_idx = np.nonzero(feasible)
    w = tr.weights[:, s_idx, a_idx]
    cols = np.stack([tr.lo_g[s_idx, a_idx], tr.lo_g[s_idx, a_idx] + 1,
                     tr.lo_b[s_idx, a_idx], tr.lo_b[s_idx, a_idx] + 1])
    rows = np.broadcast_to(np.arange(s_idx.size), cols.shape)
    keep = w != 0.0
    q = sp.coo_matrix((w[keep], (rows[keep], cols[keep])), shape=(s_idx.size, n_s)).tocsr()
    return s_idx, a_idx, tr.reward[s_idx, a_idx], q


def mdptoolbox_form(tr: Transitions) -> tuple[list[sp.csr_matrix], np.ndarray]:
    """pymdptoolbox's form: one sparse S×S matrix per candidate, rewards (S, A).

    An infeasible pair gets a self-loop and a reward so low that it is never chosen (the
    toolbox takes no −inf).
    """
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
