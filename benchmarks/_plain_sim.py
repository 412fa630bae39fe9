"""The peer of ``steerherd.sim.simulate``: a plain vectorised numpy simulator (Bayesian agents).

What a user would write in ~30 lines without steerherd: all runs at once, a loop over
agents, the policy read off a (belief, precision) table by ``np.interp``, the Bayesian action
rule, Bayes' rule for the public belief, welfare and spend accumulated with δ^i. No cascade
shortcut (every decision is simulated), no limits (q ↑ m is read as q = m), no checks.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def plain_simulate(table_b: np.ndarray, table_q: np.ndarray, p: float, loss: float,
                   delta: float, cost: Callable[[np.ndarray], np.ndarray], runs: int,
                   agents: int, prior: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Welfare (−C per wrong action) and spend, both discounted, per run; ω ~ Bernoulli(prior)."""
    rng = np.random.default_rng(seed)
    good = rng.random(runs) < prior
    b = np.full(runs, prior)
    welfare, spend = np.zeros(runs), np.zeros(runs)
    for i in range(agents):
        q = np.interp(b, table_b, table_q)
        follow = (b >= 1.0 - q) & (b <= q)
        herd = (b > 0.5).astype(np.float64)
        g_if_good = np.where(follow, q, herd)  # P(a = G | ω = G)
        g_if_bad = np.where(follow, 1.0 - q, herd)  # P(a = G | ω = B)
        act = rng.random(runs) < np.where(good, g_if_good, g_if_bad)
        weight = delta**i
        welfare -= (loss * weight) * (act != good)
        spend += weight * cost(np.abs(q - p))
        like_good = np.where(act, g_if_good, 1.0 - g_if_good)
        like_bad = np.where(act, g_if_bad, 1.0 - g_if_bad)
        num = b * like_good
        den = num + (1.0 - b) * like_bad
        b = np.where(den > 0, num / np.where(den > 0, den, 1.0), b)
    return welfare, spend
