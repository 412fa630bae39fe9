"""Policy evaluation without scipy (steerherd.dp.evaluate) against the sparse LU and against
an extended-precision solution, and its fallback to the LU."""

from __future__ import annotations

import numpy as np
import pytest

import steerherd
from steerherd.dp import evaluate as ev
from steerherd.errors import ParameterError

EXTENDED = np.finfo(np.longdouble).eps < np.finfo(np.float64).eps


def _chain(seed: int, n: int = 300) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    """A chain shaped like the belief grid's: two successors, each interpolated between
    two neighbouring nodes. Odd seeds: a third of the nodes absorb (a cascade) and the others
    mostly move next to them (as the belief does under a full or a cascading policy);
    even seeds: successors anywhere (a chain that mixes, as in the hard cases)."""
    rng = np.random.default_rng(seed)
    reward = -rng.uniform(0.0, 1.0, n)
    absorbing = rng.random(n) < (0.35 if seed % 2 else 0.2)
    sinks = np.flatnonzero(absorbing)
    lo_g = rng.integers(0, n, n)
    lo_b = rng.integers(0, n, n)
    if seed % 2:
        near = rng.random((2, n)) < 0.9
        lo_g = np.where(near[0], rng.choice(sinks, n), lo_g)
        lo_b = np.where(near[1], rng.choice(sinks, n), lo_b)
    lo_g[absorbing] = lo_b[absorbing] = sinks
    lam_g, lam_b = rng.random(n), rng.random(n)
    lam_g[absorbing] = lam_b[absorbing] = 0.0
    lam_g[lo_g == n - 1] = 0.0  # lo + 1 = n: one past the last node, weight 0
    lam_b[lo_b == n - 1] = 0.0
    pg = rng.uniform(0.05, 0.95, n)
    weights = np.stack([pg * (1 - lam_g), pg * lam_g, (1 - pg) * (1 - lam_b), (1 - pg) * lam_b])
    return reward, [lo_g, lo_g + 1, lo_b, lo_b + 1], weights


def _extended(reward: np.ndarray, nodes: list[np.ndarray], weights: np.ndarray,
              delta: float) -> np.ndarray:
    """The exact solution to ~1e-18: LU steps with residuals in extended precision."""
    v = ev.lu_solve(reward, nodes, list(weights), delta).astype(np.longdouble)
    n = reward.size
    for _ in range(4):
        vp = np.zeros(n + 1, dtype=np.longdouble)
        vp[:n] = v
        nxt = sum(np.asarray(w, dtype=np.longdouble) * vp[j]
                  for j, w in zip(nodes, weights, strict=True))
        res = reward.astype(np.longdouble) + np.longdouble(delta) * nxt - v
        step = ev.lu_solve(res.astype(np.float64), nodes, list(weights), delta)
        v = v + step.astype(np.longdouble)
    return v


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("delta", [0.3, 0.9, 0.99])
def test_matches_the_sparse_lu(seed: int, delta: float, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    reward, nodes, weights = _chain(seed)
    used_lu = []
    real_lu = ev.lu_solve
    monkeypatch.setattr(ev, "lu_solve", lambda *a: used_lu.append(1) or real_lu(*a))
    got = ev.evaluate(reward, nodes, weights, delta)
    ref = real_lu(reward, nodes, list(weights), delta)
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12 / (1 - delta))
    if seed % 2 and delta <= 0.9:  # absorbed quickly: the contraction is used, not the LU
        assert not used_lu
    if EXTENDED and not used_lu:  # the stated bound: TOL (truncation) + TOL (rounding)
        err = np.abs(got.astype(np.longdouble) - _extended(reward, nodes, weights, delta))
        assert float(err.max()) <= 2 * ev.TOL


def test_a_slow_chain_falls_back_to_the_lu(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # A ring: every node moves one step on, nothing is absorbed, so the contraction is δ
    # itself and 1e-13 needs ~30,000 steps at δ = 0.999.
    n = 200
    reward = np.sin(np.arange(n))
    nodes = [(np.arange(n) + 1) % n]
    used_lu = []
    real_lu = ev.lu_solve
    monkeypatch.setattr(ev, "lu_solve", lambda *a: used_lu.append(1) or real_lu(*a))
    got = ev.evaluate(reward, nodes, [np.ones(n)], 0.999)
    assert used_lu == [1]
    np.testing.assert_array_equal(got, real_lu(reward, nodes, [np.ones(n)], 0.999))


def test_absorbing_chain_is_exact_without_the_lu(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(ev, "lu_solve", None)  # calling it would fail the test
    reward = np.array([1.0, -2.0, 0.5])
    nodes = [np.array([1, 1, 2]), np.array([2, 1, 2])]
    weights = [np.array([0.25, 1.0, 1.0]), np.array([0.75, 0.0, 0.0])]
    got = ev.evaluate(reward, nodes, weights, 0.9)
    v1, v2 = -2.0 / 0.1, 0.5 / 0.1
    np.testing.assert_allclose(got, [1.0 + 0.9 * (0.25 * v1 + 0.75 * v2), v1, v2], rtol=1e-15)


def test_the_default_problem_needs_no_lu(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """``steerherd solve``'s default problem: the fast solver and the certified bounds
    evaluate every policy by the contraction, so scipy is never needed."""
    monkeypatch.setattr(ev, "lu_solve", None)
    sol = steerherd.solve(steerherd.Params(), beliefs=1001, precisions=201)
    sol.certified_bounds()
    assert sol.certificate.converged


def test_edge_cases() -> None:
    reward = np.array([1.0, 2.0])
    nodes = [np.array([1, 2])]  # node 1's successor is the padding node, weight 0
    weights = [np.array([1.0, 0.0])]
    np.testing.assert_array_equal(ev.evaluate(reward, nodes, weights, 0.0), reward)
    np.testing.assert_allclose(ev.evaluate(reward, nodes, weights, 0.5), [2.0, 2.0])
    for bad in (1.0, -0.1, float("nan")):
        with pytest.raises(ParameterError, match="delta in"):
            ev.evaluate(reward, nodes, weights, bad)


@pytest.mark.parametrize("seed", [1, 3, 5, 9])
def test_large_values_near_delta_one_are_corrected_without_the_lu(seed: int, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """|V| ≈ 100 at δ = 0.99: the contraction's rounding bound (∝ ‖V‖) exceeds TOL, so V is
    corrected from the residual (∝ what is still unknown) instead of calling the LU; the
    stated bound (2·TOL) is checked against the extended-precision solution."""
    reward, nodes, weights = _chain(seed)
    monkeypatch.setattr(ev, "lu_solve", None)  # calling it would fail the test
    corrected = []
    real = ev._corrected
    monkeypatch.setattr(ev, "_corrected", lambda *a: corrected.append(1) or real(*a))
    got = ev.evaluate(reward, nodes, weights, 0.99)
    assert corrected and float(np.abs(got).max()) > 50.0
    if EXTENDED:
        err = np.abs(got.astype(np.longdouble) - _extended_no_lu(reward, nodes, weights, 0.99))
        assert float(err.max()) <= 2 * ev.TOL


def _extended_no_lu(reward: np.ndarray, nodes: list[np.ndarray], weights: np.ndarray,
                    delta: float) -> np.ndarray:
    """The exact solution to ~1e-17 without the LU: the same chain iterated in extended
    precision (an absorbing chain: it converges in a few dozen steps)."""
    n = reward.size
    r = reward.astype(np.longdouble)
    w = [np.asarray(x, dtype=np.longdouble) for x in weights]
    v = np.zeros(n, dtype=np.longdouble)
    for _ in range(20_000):
        vp = np.zeros(n + 1, dtype=np.longdouble)
        vp[:n] = v
        new = r + np.longdouble(delta) * sum(x * vp[j] for j, x in zip(nodes, w, strict=True))
        if float(np.abs(new - v).max()) == 0.0:
            break
        v = new
    return v


@pytest.mark.parametrize("seed", range(6))
def test_the_residual_is_within_its_stated_bound(seed: int) -> None:
    """:func:`residual` in double-double against exact rational arithmetic."""
    from fractions import Fraction

    reward, nodes, weights = _chain(seed, n=40)
    rng = np.random.default_rng(seed)
    v = -rng.uniform(0.0, 100.0, reward.size)
    delta = 0.99
    d, eta = ev.residual(reward, nodes, list(weights), delta, v)
    vp = [Fraction(float(x)) for x in v] + [Fraction(0)]
    for i in range(reward.size):
        exact = Fraction(float(reward[i])) - vp[i] + Fraction(delta) * sum(
            Fraction(float(w[i])) * vp[int(j[i])] for j, w in zip(nodes, weights, strict=True))
        assert abs(Fraction(float(d[i])) - exact) <= Fraction(float(eta[i]))
        # relative to d, not to |V| (a plain float residual is only within ≈ u·|V|)
        assert float(eta[i]) <= 3 * 2.0**-53 * abs(float(exact)) + 1e-25


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("delta", [0.3, 0.9, 0.99])
def test_try_evaluate_is_evaluate_or_nothing(seed: int, delta: float) -> None:
    """Within its step budget, ``try_evaluate`` returns exactly what ``evaluate`` returns;
    beyond it (or where the LU would be needed), None."""
    reward, nodes, weights = _chain(seed)
    full = ev.evaluate(reward, nodes, weights, delta)
    answers = [ev.try_evaluate(reward, nodes, weights, delta, steps) for steps in (2, 8, 64)]
    for got in answers:
        if got is not None:
            np.testing.assert_array_equal(got, full)
    assert answers[0] is None or answers[1] is not None  # a larger budget never does worse


def test_try_evaluate_gives_up_on_a_slow_chain(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(ev, "lu_solve", None)  # it must not fall back to the LU
    n = 200
    reward = np.sin(np.arange(n))
    nodes = [(np.arange(n) + 1) % n]
    assert ev.try_evaluate(reward, nodes, [np.ones(n)], 0.999, 8) is None
    absorbing = [np.arange(n)]  # every node stays put: exact after one step
    got = ev.try_evaluate(reward, absorbing, [np.ones(n)], 0.9, 8)
    assert got is not None
    np.testing.assert_allclose(got, reward / 0.1, rtol=1e-15)
