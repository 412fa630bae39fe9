"""The compiled policy evaluation (steerherd.dp.fast_numba_evaluate) against the numpy one,
bit for bit, on every path of the method: the plain contraction (its stall stop and its
projection that gives up), the double-double correction, try_evaluate's budget, the sparse-LU
fallback, absorbing chains and index n (one past the last node, weight 0)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import steerherd
from steerherd.agents import Bayesian
from steerherd.dp import evaluate as ev
from steerherd.dp.fast import solve_fast
from steerherd.dp.policy import PolicyRows, select
from steerherd.dp.solve import build_problem
from steerherd.errors import ParameterError
from steerherd.model import Params, make_cost
from tests.test_dp_evaluate import _chain

numba = pytest.importorskip("numba")
fe = pytest.importorskip("steerherd.dp.fast_numba_evaluate")

HARD = Params(planner="biased", p=0.8, delta=0.99, cost=make_cost("linear", k=3.0))


def _rows(reward: np.ndarray, lo_g: np.ndarray, lo_b: np.ndarray, weights: np.ndarray
          ) -> PolicyRows:
    n = reward.size
    return PolicyRows(q=np.full(n, 0.7), side=np.zeros(n, np.int64), kind=np.zeros(n, np.int64),
                      reward=reward, lo_g=lo_g, lo_b=lo_b, weights=weights)


def _chain_rows(seed: int, n: int = 300) -> PolicyRows:
    """test_dp_evaluate's chains (odd seeds absorb quickly, even ones mix; index n appears)."""
    reward, nodes, weights = _chain(seed, n)
    lo_g, lo_b, weights = nodes[0].copy(), nodes[2].copy(), weights.copy()
    moves = np.flatnonzero((lo_g != np.arange(n)) & (np.arange(n) < n - 1))[:3]
    lo_g[moves] = n - 1  # these rows' second weight falls on index n: weight 0
    weights[0, moves] += weights[1, moves]
    weights[1, moves] = 0.0
    return _rows(reward, lo_g, lo_b, weights)


def _problem_rows(params: Params, beliefs: int, precisions: int, seed: int) -> PolicyRows:
    """A random policy's rows of the full problem (a random feasible candidate at each node)."""
    tr = build_problem(params, beliefs, precisions, agent=Bayesian()).transitions
    score = np.random.default_rng(seed).random(tr.reward.shape)
    return select(tr, np.argmax(np.where(np.isfinite(tr.reward), score, -1.0), axis=1))


class _Paths:
    """Counts the numpy code's corrections and sparse LUs (the compiled wrapper's LU too)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.corrected = self.lu = 0
        real_corrected, real_lu = ev._corrected, ev.lu_solve

        def corrected(*a: Any) -> Any:
            self.corrected += 1
            return real_corrected(*a)

        def lu(*a: Any) -> Any:
            self.lu += 1
            return real_lu(*a)

        monkeypatch.setattr(ev, "_corrected", corrected)
        monkeypatch.setattr(ev, "lu_solve", lu)


def _same(rows: PolicyRows, delta: float, steps: int | None = None) -> np.ndarray | None:
    """Both evaluations; asserts they are equal bit for bit (or both None). Returns numpy's."""
    if steps is None:
        ref: np.ndarray | None = ev.evaluate_rows(rows, delta)
    else:
        ref = ev.try_evaluate_rows(rows, delta, steps)
    got = fe.evaluate_rows(rows, delta, steps)
    if ref is None:
        assert got is None
    else:
        assert got is not None
        assert np.array_equal(got, ref), float(np.max(np.abs(got - ref)))
    return ref


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("delta", [0.0, 0.05, 0.3, 0.9, 0.99])
def test_chains_match_bit_for_bit(seed: int, delta: float) -> None:
    rows = _chain_rows(seed)
    assert np.any(rows.lo_g + 1 == rows.reward.size)  # index n, weight 0
    _same(rows, delta)
    for steps in (0, 1, 4, 20):
        _same(rows, delta, steps)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("case", [("altruistic", 0.6, 0.2, 0.6), ("biased", 0.7, 0.5, 0.9),
                                  ("biased", 0.8, 3.0, 0.99), ("altruistic", 0.8, 3.0, 0.99)])
def test_random_policies_of_real_problems_match(seed: int, case: tuple[Any, ...]) -> None:
    planner, p, k, delta = case
    params = Params(planner=planner, p=p, delta=delta, cost=make_cost("linear", k=k))
    rows = _problem_rows(params, 201 + 50 * seed, 41, seed)
    _same(rows, delta)
    _same(rows, delta, 4)


def test_the_correction_path_is_taken_and_matches(monkeypatch: pytest.MonkeyPatch) -> None:
    """The biased planner at δ = 0.99 (V ≈ −100): the rounding bound needs the correction."""
    paths = _Paths(monkeypatch)
    v = solve_fast(HARD, 401, 81, kernel="numpy").value
    rows = select(build_problem(HARD, 401, 81).transitions,
                  np.argmax(build_problem(HARD, 401, 81).transitions.q_values(v), axis=1))
    out = _same(rows, HARD.delta)
    assert out is not None and float(np.max(np.abs(out))) > 50.0
    assert paths.corrected >= 1 and paths.lu == 0
    for steps in (4, 64):
        _same(rows, HARD.delta, steps)


@pytest.mark.parametrize("seed", range(6))
def test_double_double_residual_matches(seed: int) -> None:
    """The correction's residual and its error bound, entry for entry (their low-order bits
    rarely reach V, so they are compared on their own)."""
    rows = _chain_rows(seed, 500)
    n = rows.reward.size
    reward = rows.reward
    nodes = ev.row_nodes(rows)
    for delta in (0.9, 0.99):
        # Near the fixed point (as in the correction), d is at the level of the low parts.
        v = ev.lu_solve(reward, nodes, list(rows.weights), delta)
        d_ref, eta_ref = ev.residual(reward, nodes, list(rows.weights), delta, v)
        d, eta = np.empty(n), np.empty(n)
        assert fe._residual(reward, rows.lo_g, rows.lo_b, rows.weights, delta, v,
                            np.zeros(n + 1), d, eta)
        assert np.array_equal(d, d_ref) and np.array_equal(eta, eta_ref)


@pytest.mark.parametrize("seed", range(4))
def test_contraction_bounds_match(seed: int) -> None:
    """Each contraction's (V, truncation bound, rounding bound), which decide the path taken,
    equal to numpy's: plain with the stall stop, and with the correction's extra term."""
    rows = _chain_rows(seed, 400)
    n = rows.reward.size
    nodes = ev.row_nodes(rows)
    here = np.arange(n)
    for delta in (0.5, 0.9, 0.99):
        self_w = np.zeros(n)
        for j, x in zip(nodes, rows.weights, strict=True):
            self_w += np.where(j == here, x, 0.0)
        denom = 1.0 - delta * self_w
        off = [np.where(j == here, 0.0, delta * x / denom)
               for j, x in zip(nodes, rows.weights, strict=True)]
        rho = float(np.max(sum(off, np.zeros(n))))
        c = rows.reward / denom
        extra = np.abs(c) * 1e-14
        for has_extra, stall, limit in ((False, ev.STALL, 64), (True, 0.0, 64),
                                        (False, 0.0, 7)):
            ref = ev._contract(c, nodes, off, rho, extra if has_extra else None, stall, limit)
            v, truncation, rounding, found = fe._contract(
                c, rows.lo_g, rows.lo_b, np.array(off), rho, extra, has_extra, stall, limit)
            assert found == (ref is not None)
            if ref is not None:
                assert np.array_equal(v, ref[0]) and (truncation, rounding) == ref[1:]


def test_lu_fallback_budget_and_projection(monkeypatch: pytest.MonkeyPatch) -> None:
    """A ring (nothing absorbed, contraction δ): the projection gives up after the warm-up
    steps, evaluate falls back to the LU (the same call), try_evaluate gives None."""
    n = 200
    nxt = (np.arange(n) + 1) % n
    w = np.zeros((4, n))
    w[0] = 1.0
    rows = _rows(np.sin(np.arange(n)), nxt, np.arange(n), w)
    paths = _Paths(monkeypatch)
    for delta in (0.99, 0.999):
        assert _same(rows, delta) is not None
        assert _same(rows, delta, 4) is None
        assert _same(rows, delta, 0) is None  # 0 means MAX_STEPS, as in numpy
    assert paths.lu == 2 * 2  # numpy's two LUs and the compiled wrapper's two


def test_not_a_contraction_goes_to_the_lu(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = _chain_rows(2, 50)
    heavy = _rows(rows.reward, rows.lo_g, rows.lo_b, rows.weights * 1.6)
    paths = _Paths(monkeypatch)
    _same(heavy, 0.9)
    assert _same(heavy, 0.9, 10) is None
    assert paths.lu == 2


def test_absorbing_chains_are_exact() -> None:
    n = 64
    rng = np.random.default_rng(3)
    node = np.arange(n)
    w = np.zeros((4, n))
    w[0] = 1.0
    absorbing = _rows(rng.uniform(-1, 0, n), node, node, w)  # ρ = 0: V = r/(1 − δ)
    v = _same(absorbing, 0.9)
    assert v is not None and np.array_equal(v, absorbing.reward / (1 - 0.9))
    # Each node moves to its left neighbour until node 0 absorbs: exact after n steps at most.
    left = np.maximum(node - 1, 0)
    w2 = np.zeros((4, n))
    w2[0], w2[1] = 0.5, 0.5  # half stays (a self-loop), half moves one left
    chain = _rows(rng.uniform(-1, 0, n), left, node, w2)
    chain.weights[:, 0] = [1.0, 0.0, 0.0, 0.0]
    _same(chain, 0.9)
    _same(chain, 0.9, 3)


def test_bad_delta_is_refused_as_in_numpy() -> None:
    rows = _chain_rows(1, 20)
    for delta in (1.0, -0.1):
        with pytest.raises(ParameterError, match="delta"):
            fe.evaluate_rows(rows, delta)


def test_every_evaluation_of_a_compiled_solve_matches(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast solver's own rows (exact evaluations and the cheap try before a sweep)."""
    calls: list[int | None] = []
    real: Callable[..., Any] = fe.evaluate_rows

    def checked(rows: PolicyRows, delta: float, steps: int | None = None) -> Any:
        calls.append(steps)
        out = real(rows, delta, steps)
        ref = ev.evaluate_rows(rows, delta) if steps is None else ev.try_evaluate_rows(
            rows, delta, steps)
        assert (out is None and ref is None) or np.array_equal(out, ref)
        return out

    monkeypatch.setattr(fe, "evaluate_rows", checked)
    for params in (HARD, Params(planner="altruistic", p=0.7, delta=0.9,
                                cost=make_cost("linear", k=0.5))):
        solve_fast(params, 401, 81, kernel="numba")
    assert None in calls and any(s is not None for s in calls)


@pytest.mark.parametrize("seed", range(4))
def test_solve_with_numba_equals_pi_bit_for_bit(seed: int, monkeypatch: pytest.MonkeyPatch
                                                ) -> None:
    monkeypatch.setenv("STEERHERD_KERNEL", "numba")
    rng = np.random.default_rng(100 + seed)
    params = Params(planner=("altruistic", "biased")[seed % 2], p=float(rng.uniform(0.55, 0.9)),
                    delta=float(rng.choice([0.6, 0.9, 0.99])),
                    cost=make_cost("linear", k=float(rng.uniform(0.2, 3.0))))
    fast = steerherd.solve(params, beliefs=301, precisions=61, method="fast")
    full = steerherd.solve(params, beliefs=301, precisions=61, method="pi")
    assert np.array_equal(fast.V, full.V)


def test_other_layouts_and_index_types_give_the_same_bits() -> None:
    rows = _chain_rows(4, 120)
    other = _rows(rows.reward, rows.lo_g.astype(np.int32), rows.lo_b.astype(np.int32),
                  np.asfortranarray(rows.weights))
    for delta in (0.5, 0.99):
        ref = ev.evaluate_rows(rows, delta)
        assert np.array_equal(fe.evaluate_rows(other, delta), ref)
