"""The Bellman kernel (the one Bayes step and the expected-value kernel) against hand arithmetic.

A five-node grid b ∈ {0, 1/4, 1/2, 3/4, 1} with no breakpoints, V = (0, −1, −2, −1, 0), the
altruistic planner with p = 0.6, k = 0.5, C = 1, δ = 0.9. Each case below is T_q V(b) =
r(b, q) + δ·E[V(b')] worked out by hand from MODEL.md §1–2.
"""

from __future__ import annotations

import numpy as np
import pytest

from steerherd.agents import Bayesian
from steerherd.dp.bellman import transitions_for
from steerherd.dp.grid import BeliefGrid
from steerherd.dp.kernel import expected_value
from steerherd.model import LinearCost, Params, bayes_action_probs, successors

#: Every number below is a short sum of exact binary fractions and decimals: float64 error.
EXACT = 1e-14

GRID = BeliefGrid(position=np.linspace(0.0, 1.0, 5), side=np.zeros(5, dtype=np.int64),
                  belief=np.linspace(0.0, 1.0, 5), breakpoints=())
V = np.array([0.0, -1.0, -2.0, -1.0, 0.0])
PARAMS = Params(planner="altruistic", p=0.6, C=1.0, delta=0.9, cost=LinearCost(0.5))

CASES = [
    # b = 1/2, q = 3/4: P_G = 1/2, b'_G = 3/4 (node 3), b'_B = 1/4 (node 1): E V = −1.
    # r = −0.5·0.15 − min(1/2, 1/2, 1/4) = −0.325.
    (0.5, 0.75, -0.325 + 0.9 * -1.0),
    # b = 1/4, q = 1: b'_G = 1, b'_B = 0, both V = 0. r = −0.5·0.4 − 0 = −0.2.
    (0.25, 1.0, -0.2),
    # b = 1/2, q = 0.6: b'_G = 0.6 (λ = 0.4 between nodes 2 and 3) → −1.6; b'_B = 0.4
    # (λ = 0.6 between nodes 1 and 2) → −1.6. r = 0 − min(1/2, 1/2, 0.4) = −0.4.
    (0.5, 0.6, -0.4 + 0.9 * -1.6),
    # b = 1/4, q = 0.7 < max(b, 1 − b) = 3/4: a B cascade, b' = b, E V = V(1/4) = −1.
    # r = −0.5·0.1 − min(1/4, 3/4, 0.3) = −0.3.
    (0.25, 0.7, -0.3 + 0.9 * -1.0),
]


@pytest.mark.parametrize(("b", "q", "expected"), CASES)
def test_bellman_kernel_matches_hand_arithmetic(b: float, q: float, expected: float) -> None:
    node = np.array([int(round(4 * b))])
    reward, lo_g, lo_b, w = transitions_for(
        PARAMS, GRID, np.array([b]), node, np.array([[q]]), np.zeros((1, 1), dtype=np.int64),
        Bayesian())
    got = reward + PARAMS.delta * expected_value(V, lo_g, lo_b, w)
    assert got[0, 0] == pytest.approx(expected, abs=EXACT)


def test_successors_are_bayes_rule_and_a_martingale() -> None:
    rng = np.random.default_rng(12345)
    b, q = rng.random(1000), 0.5 + 0.5 * rng.random(1000)
    gg, gb = bayes_action_probs(b, q)
    p_good, succ_g, succ_b, moves = successors(b, gg, gb)
    informative = q >= np.maximum(b, 1 - b)
    np.testing.assert_array_equal(moves, informative)
    np.testing.assert_allclose(succ_g[informative], (q * b / (q * b + (1 - q) * (1 - b)))[
        informative], rtol=EXACT)
    np.testing.assert_array_equal(succ_g[~informative], b[~informative])
    # The public belief is a martingale: E[b'] = b.
    np.testing.assert_allclose(p_good * succ_g + (1 - p_good) * succ_b, b, atol=EXACT)


def test_kernel_is_one_code_path_for_numpy_and_jax() -> None:
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    rng = np.random.default_rng(7)
    b, q = rng.random(64), 0.5 + 0.5 * rng.random(64)
    side = rng.integers(-1, 2, 64)
    with jax.enable_x64(True):
        ref = successors(b, *bayes_action_probs(b, q, side), side)
        got = successors(jnp.asarray(b), *bayes_action_probs(jnp.asarray(b), jnp.asarray(q),
                                                              jnp.asarray(side), xp=jnp),
                         jnp.asarray(side), xp=jnp)
        for r, g in zip(ref, got, strict=True):
            np.testing.assert_array_equal(np.asarray(g), r)
        lo = rng.integers(0, 4, (2, 64))
        w = rng.random((4, 64))
        np.testing.assert_array_equal(
            np.asarray(expected_value(jnp.asarray(V), jnp.asarray(lo[0]), jnp.asarray(lo[1]),
                                      jnp.asarray(w), xp=jnp)),
            expected_value(V, lo[0], lo[1], w))
