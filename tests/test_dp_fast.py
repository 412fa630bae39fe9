"""The fast solver (steerherd.dp.fast) against the full reference solver on the same problem.

Both solvers return the value of an optimal policy of the same finite MDP, evaluated by the
same function (``steerherd.dp.evaluate.evaluate``: a contraction within 2e-13, or a sparse
LU), so where they settle on the same policy their values agree to rounding; the
certificates alone only promise |ΔV| ≤ ε. The
tests ask for 1e-12, as the issue does, and for identical reported precisions, kinds and
modes.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import steerherd
from steerherd import Params, make_cost
from steerherd.agents import Bayesian, Behavioral, Tabulated
from steerherd.dp import fast_sweep
from steerherd.dp.fast import solve_fast
from steerherd.dp.solve import SolverOptions, build_problem, solve_problem
from steerherd.solution import Solution

EPS = 1e-10
ATOL_V = 1e-12


def _random_instance(seed: int) -> tuple[Params, object, int, int]:
    rng = np.random.default_rng(seed)
    planner = ("altruistic", "biased")[seed % 2]
    delta = float(rng.choice([0.0, rng.uniform(0.0, 0.99), 0.99]))
    if seed % 4 < 2:
        cost = make_cost("linear", k=float(rng.uniform(0.0, 3.0)))
    else:
        cost = make_cost("power", k=float(rng.uniform(0.0, 3.0)),
                         alpha=float(rng.uniform(0.2, 1.0)))
    params = Params(planner=planner, p=float(rng.uniform(0.5, 0.95)), delta=delta, cost=cost)
    agent = Bayesian() if seed % 3 else Behavioral(
        float(rng.uniform(0.3, 1.5)), float(rng.uniform(0.3, 1.5)), float(rng.uniform(0.3, 2.5)))
    return params, agent, int(rng.integers(41, 202)), int(rng.integers(5, 62))


def _both(params: Params, agent: object, beliefs: int, precisions: int, kernel: str = "numpy"
          ) -> tuple[Solution, Solution]:
    opts = SolverOptions(epsilon=EPS)
    ref = solve_problem(build_problem(params, beliefs, precisions, agent=agent), "pi", opts)
    got = solve_fast(params, beliefs, precisions, agent=agent, options=opts, kernel=kernel)
    return Solution.from_raw(ref), Solution.from_raw(got)


def _assert_same(ref: Solution, got: Solution) -> None:
    np.testing.assert_array_equal(got.grid.position, ref.grid.position)
    np.testing.assert_allclose(got.V, ref.V, rtol=0, atol=ATOL_V)
    np.testing.assert_array_equal(got.q, ref.q)
    np.testing.assert_array_equal(got.kind, ref.kind)
    np.testing.assert_array_equal(got.modes, ref.modes)
    assert got.certificate.gap < EPS
    # The certificate is over the full candidate set: the same bounds as the full solver's.
    np.testing.assert_allclose(got.certificate.upper, ref.certificate.upper, rtol=0, atol=ATOL_V)
    np.testing.assert_allclose(got.certificate.lower, ref.certificate.lower, rtol=0, atol=ATOL_V)
    assert abs(got.certificate.bellman_residual - ref.certificate.bellman_residual) <= ATOL_V
    assert [r.mode for r in got.regimes] == [r.mode for r in ref.regimes]
    assert {k: (None if t is None else (t.lo, t.hi)) for k, t in got.thresholds.items()} == {
        k: (None if t is None else (t.lo, t.hi)) for k, t in ref.thresholds.items()}


@pytest.mark.parametrize("seed", range(60))
def test_random_instances_match_the_full_solver(seed: int) -> None:
    params, agent, beliefs, precisions = _random_instance(seed)
    ref, got = _both(params, agent, beliefs, precisions)
    _assert_same(ref, got)
    assert got.certificate.method == "fast"


@pytest.mark.parametrize("planner", ["altruistic", "biased"])
@pytest.mark.parametrize("agent", [Bayesian(), Behavioral(1.0, 0.6, 1.8)], ids=repr)
def test_finite_horizon_stages_match(planner: str, agent: object) -> None:
    params = Params(planner=planner, p=0.7, delta=1.0, horizon=6, cost=make_cost("linear", k=0.4))
    ref, got = _both(params, agent, 151, 41)
    np.testing.assert_allclose(got.V, ref.V, rtol=0, atol=ATOL_V)
    np.testing.assert_array_equal(got.stage_precision, ref.stage_precision)
    np.testing.assert_array_equal(got.stage_kind, ref.stage_kind)
    assert got.certificate.method == "finite"


def _table() -> Tabulated:
    b = np.linspace(0.0, 1.0, 21)
    q = np.linspace(0.5, 1.0, 11)
    bb, qq = np.meshgrid(b, q, indexing="ij")
    gg = np.clip(0.5 + (qq - 0.5) * (1.2 - 0.4 * np.abs(bb - 0.5)) + 0.2 * (bb - 0.5), 0, 1)
    gb = np.clip(0.5 - (qq - 0.5) * (1.0 - 0.4 * np.abs(bb - 0.5)) + 0.2 * (bb - 0.5), 0, 1)
    return Tabulated({"b": b, "q": q, "good_if_good": gg, "good_if_bad": gb}, name="toy")


@pytest.mark.parametrize("agent", [_table(), Behavioral(1.0, 0.7, 1.5, lam=0.3)], ids=repr)
@pytest.mark.parametrize("planner", ["altruistic", "biased"])
def test_agents_without_structure_are_evaluated_in_full(agent: object, planner: str) -> None:
    params = Params(planner=planner, p=0.65, delta=0.9, cost=make_cost("linear", k=0.5))
    ref, got = _both(params, agent, 121, 31)
    _assert_same(ref, got)


class _LyingBayesian(Bayesian):
    """Claims Bayesian structure but follows a signal only well above max(b, 1 − b)."""

    def action_probs(self, b, q, side=None):  # type: ignore[no-untyped-def]
        b = np.asarray(b, dtype=np.float64)
        q = np.asarray(q, dtype=np.float64)
        gg, gb = super().action_probs(b, q, side)
        lazy = (q < np.maximum(b, 1 - b) + 0.05) & (side is None or np.all(side == 0))
        cascade = np.where(b > 0.5, 1.0, 0.0)
        return np.where(lazy, cascade, gg), np.where(lazy, cascade, gb)


def test_structure_is_checked_not_assumed() -> None:
    params = Params(planner="altruistic", p=0.7, delta=0.9, cost=make_cost("linear", k=0.3))
    grid = build_problem(params, 101, 21, agent=_LyingBayesian()).grid
    from steerherd.dp.fast import make_setting
    from steerherd.dp.grid import make_precision_grid

    setting = make_setting(params, grid, make_precision_grid(params.q_min, 21), _LyingBayesian())
    assert not setting.structured
    ref, got = _both(params, _LyingBayesian(), 101, 21)
    _assert_same(ref, got)


def test_refine_falls_back_to_the_full_solver() -> None:
    params = Params(planner="biased", p=0.7, delta=0.8, cost=make_cost("linear", k=0.5))
    got = solve_fast(params, 101, 21, refine=True)
    ref = solve_problem(build_problem(params, 101, 21, refine=True), "pi")
    assert got.certificate.method == "pi"
    np.testing.assert_array_equal(got.value, ref.value)
    np.testing.assert_array_equal(got.rows.q, ref.rows.q)


def test_default_solve_is_fast_and_old_methods_still_work() -> None:
    params = Params(planner="biased", p=0.7, delta=0.9, cost=make_cost("linear", k=0.5))
    default = steerherd.solve(params, beliefs=101, precisions=21)
    assert default.certificate.method == "fast"
    for method in ("pi", "vi", "mpi"):
        other = steerherd.solve(params, beliefs=101, precisions=21, method=method)
        assert other.certificate.method == method
        np.testing.assert_allclose(other.V, default.V, rtol=0, atol=EPS)
        np.testing.assert_array_equal(other.modes, default.modes)


def _peak_bytes(params: Params, beliefs: int, precisions: int) -> int:
    tracemalloc.start()
    try:
        solve_fast(params, beliefs, precisions, kernel="numpy")
        return int(tracemalloc.get_traced_memory()[1])
    finally:
        tracemalloc.stop()


def test_the_sweep_prunes_and_memory_does_not_grow_with_precisions() -> None:
    """Most (node, grid precision) pairs are never evaluated, and the peak memory is set by the
    number of beliefs: 16x more precisions cost far less than 16x the memory (the full solver's
    arrays grow with nodes x candidates)."""
    params = Params(planner="altruistic", p=0.7, delta=0.9, cost=make_cost("linear", k=0.5))
    evaluated: list[int] = []
    original = fast_sweep.sweep

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        res = original(*args, **kwargs)
        evaluated.append(res.evaluated)
        return res

    import steerherd.dp.fast_ops as fast_mod  # the numpy kernel's sweep is called from there

    fast_mod.sweep = counting  # type: ignore[assignment]
    try:
        raw = solve_fast(params, 2001, 401, kernel="numpy")
    finally:
        fast_mod.sweep = original  # type: ignore[assignment]
    assert evaluated and max(evaluated) < 0.05 * raw.value.size * 401
    small, large = _peak_bytes(params, 4001, 51), _peak_bytes(params, 4001, 801)
    assert large < 1.5 * small, (small, large)


def test_several_rounds_with_remembered_bounds_match_the_full_solver() -> None:
    """A case that needs several add rounds (interior grid optima, steep V): later sweeps
    reuse the earlier ones' bounds and must still certify the full candidate set."""
    params = Params(planner="biased", p=0.8, delta=0.99, cost=make_cost("linear", k=3.0))
    seen: list[tuple[int, bool]] = []
    original = fast_sweep.sweep

    def recording(*args, **kwargs):  # type: ignore[no-untyped-def]
        res = original(*args, **kwargs)
        seen.append((res.evaluated, len(args) > 4 and args[4] is not None))
        return res

    import steerherd.dp.fast_ops as fast_mod  # the numpy kernel's sweep is called from there

    fast_mod.sweep = recording  # type: ignore[assignment]
    try:
        ref, got = _both(params, Bayesian(), 401, 101)
    finally:
        fast_mod.sweep = original  # type: ignore[assignment]
    _assert_same(ref, got)
    assert len(seen) >= 3 and seen[-1][1]  # the last sweeps had a memory
    assert seen[-1][0] < seen[0][0]


def test_delta_near_one_is_certified_by_refining_the_evaluation() -> None:
    """At δ = 0.999 the MacQueen–Porteus factor δ/(1 − δ) = 999 turns the sparse LU's rounding
    into a gap above ε = 1e-10 for a policy that no longer changes (the full PI then spins to
    max_iter on this instance); the fast solver refines V for that policy and certifies it.
    The certificate is re-computed here by the full solver's own greedy step over the full
    candidate set."""
    params = Params(planner="biased", p=0.563589235205656, C=7.0, delta=0.999,
                    cost=make_cost("linear", k=10.0))
    got = Solution.from_raw(solve_fast(params, 60, 40, options=SolverOptions(epsilon=EPS)))
    assert got.certificate.converged and got.certificate.gap < EPS
    from steerherd.dp.policy import improve

    _, tv = improve(build_problem(params, 60, 40), got.V)
    d = tv - got.V
    assert params.delta / (1 - params.delta) * float(d.max() - d.min()) < EPS


@pytest.mark.parametrize("beliefs", [11, 12, 101, 2001])
@pytest.mark.parametrize("planner", ["altruistic", "biased"])
def test_node_lookup_is_the_search_it_stands_for(planner: str, beliefs: int) -> None:
    """node_lookup counts instead of searching: the same table as the two searchsorted calls."""
    from steerherd.dp.fast_bounds import node_lookup
    from steerherd.dp.grid import make_belief_grid
    from steerherd.dp.solve import grid_breakpoints

    params = Params(planner=planner, p=0.7, delta=0.9, cost=make_cost("linear", k=0.5))
    grid = make_belief_grid(beliefs, grid_breakpoints(params, Bayesian()))
    cells = 4 * grid.size
    x = np.arange(cells + 1) / cells
    top = grid.size - 1
    last_le = np.clip(np.searchsorted(grid.position, x, side="right") - 1, 0, top)
    first_ge = np.clip(np.searchsorted(grid.position, x, side="left"), 0, top)
    got = node_lookup(grid)
    np.testing.assert_array_equal(got[0], last_le)
    np.testing.assert_array_equal(got[1], first_ge)
    assert grid.breakpoints  # nodes that share a position (a breakpoint's three) are covered
