"""The fast solver's two kernels (numpy, numba) against each other and against the full solver.

The numba kernel computes every Q-value it evaluates with the full solver's arithmetic (one
operation at a time, no fastmath), so both kernels must return the same solution bit for bit:
V, policy, certificate. Its block bounds (slope-anchored and chord bounds, second order) are
what make it skip work; they are checked here against brute force on whole blocks.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from steerherd import Params, make_cost
from steerherd.agents import Bayesian, Behavioral
from steerherd.dp.bellman import transitions_for
from steerherd.dp.fast import make_setting, solve_fast
from steerherd.dp.fast_bounds import BOUND_SLACK, RANGE_PAD, range_table, table_rows
from steerherd.dp.fast_kernel import LARGE_PAIRS, approx_evaluate, choose, pack
from steerherd.dp.grid import make_belief_grid, make_precision_grid
from steerherd.dp.policy import evaluate_policy, select
from steerherd.dp.solve import SolverOptions, grid_breakpoints
from steerherd.errors import ParameterError
from steerherd.model.tolerances import SNAP_TOL
from steerherd.solution import Solution
from tests.test_dp_fast import EPS, _assert_same, _both, _random_instance

numba = pytest.importorskip("numba")


@pytest.mark.parametrize("seed", range(60))
def test_numba_kernel_matches_the_full_solver_and_the_numpy_kernel(seed: int) -> None:
    params, agent, beliefs, precisions = _random_instance(seed)
    ref, got = _both(params, agent, beliefs, precisions, kernel="numba")
    _assert_same(ref, got)
    opts = SolverOptions(epsilon=EPS)
    other = Solution.from_raw(solve_fast(params, beliefs, precisions, agent=agent, options=opts,
                                         kernel="numpy"))
    np.testing.assert_array_equal(got.V, other.V)
    np.testing.assert_array_equal(got.q, other.q)
    np.testing.assert_array_equal(got.certificate.upper, other.certificate.upper)
    np.testing.assert_array_equal(got.certificate.lower, other.certificate.lower)


@pytest.mark.parametrize("planner", ["altruistic", "biased"])
@pytest.mark.parametrize("case", [(0.8, 3.0, 0.99), (0.6, 0.2, 0.6), (0.7, 0.5, 0.9)])
def test_numba_kernel_on_the_benchmark_cases(planner: str, case: tuple[float, ...]) -> None:
    """The six benchmark cases on a smaller grid (the hard one, biased p=0.8 k=3 δ=0.99, takes
    several rounds that reuse remembered pairs and blocks)."""
    p, k, delta = case
    params = Params(planner=planner, p=p, delta=delta, cost=make_cost("linear", k=k))
    ref, got = _both(params, Bayesian(), 601, 121, kernel="numba")
    _assert_same(ref, got)


def test_reused_search_buffers_do_not_change_a_solve() -> None:
    """The search's output buffers and the active set's arrays are reused between rounds and
    solves (per thread, :mod:`steerherd.dp.fast_buffers`): a solve after others (larger,
    smaller), or in another thread, returns the same bits."""
    import threading

    hard = Params(planner="biased", p=0.8, delta=0.99, cost=make_cost("linear", k=3.0))
    easy = Params(planner="biased", p=0.6, delta=0.6, cost=make_cost("linear", k=0.2))
    opts = SolverOptions(epsilon=EPS)

    def run(params: Params, beliefs: int) -> Solution:
        return Solution.from_raw(solve_fast(params, beliefs, 121, options=opts, kernel="numba"))

    first = run(hard, 601)
    run(easy, 1201)
    run(hard, 301)
    again = run(hard, 601)
    box: list[Solution] = []
    worker = threading.Thread(target=lambda: box.append(run(hard, 601)))
    worker.start()
    worker.join()
    for other in (again, box[0]):
        np.testing.assert_array_equal(other.V, first.V)
        np.testing.assert_array_equal(other.q, first.q)
        np.testing.assert_array_equal(other.certificate.upper, first.certificate.upper)
        np.testing.assert_array_equal(other.certificate.lower, first.certificate.lower)


@pytest.mark.parametrize("agent", [Bayesian(), Behavioral(1.0, 0.6, 1.8)], ids=repr)
def test_numba_kernel_finite_horizon(agent: object) -> None:
    params = Params(planner="biased", p=0.7, delta=1.0, horizon=6, cost=make_cost("linear", k=0.4))
    ref, got = _both(params, agent, 151, 41, kernel="numba")
    np.testing.assert_allclose(got.V, ref.V, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(got.stage_precision, ref.stage_precision)


def _setting(params: Params, agent: object, beliefs: int, precisions: int):  # type: ignore[no-untyped-def]
    grid = make_belief_grid(beliefs, grid_breakpoints(params, agent))  # type: ignore[arg-type]
    return make_setting(params, grid, make_precision_grid(params.q_min, precisions), agent)  # type: ignore[arg-type]


def slope_tables(position: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Range-max and range-min tables of the interpolant's segment slopes, in numpy.

    A segment of zero length (the nodes x−, x, x+ of a breakpoint, where V may jump) has
    slope +inf in the max table and −inf in the min table.
    """
    span = np.diff(position)
    dv = np.diff(v)
    jump = span <= 0.0
    slope = dv / np.where(jump, 1.0, span)
    s_max = range_table(np.where(jump, np.inf, slope))
    s_min = range_table(np.where(jump, -np.inf, slope), minimum=True)
    return s_max, s_min


def test_fill_tables_match_the_range_tables() -> None:
    """The compiled tables are range_table's for V, the slopes and V − V_old, entry for entry."""
    from steerherd.dp.fast_numba_steps import fill_tables

    params = Params(planner="biased", p=0.8, delta=0.99, cost=make_cost("linear", k=3.0))
    setting = _setting(params, Bayesian(), 301, 41)
    pos, n = setting.grid.position, setting.grid.size
    v = solve_fast(params, 301, 41, kernel="numpy").value
    v_old = v + np.random.default_rng(5).normal(0.0, 0.1, n)
    table, dv_table = np.empty((table_rows(n), n)), np.empty((table_rows(n), n))
    s_max, s_min = np.empty((table_rows(n - 1), n - 1)), np.empty((table_rows(n - 1), n - 1))
    fill_tables(v, pos, v_old, True, table, s_max, s_min, dv_table)
    want_max, want_min = slope_tables(pos, v)
    assert np.isinf(want_max).any()  # the grid's breakpoints give zero-length segments
    np.testing.assert_array_equal(table, range_table(v))
    np.testing.assert_array_equal(dv_table, range_table(v - v_old))
    np.testing.assert_array_equal(s_max, want_max)
    np.testing.assert_array_equal(s_min, want_min)


@pytest.mark.parametrize("seed", range(6))
def test_block_bounds_hold_on_whole_blocks(seed: int) -> None:
    """Every block bound of the compiled kernel is ≥ the largest Q in its block (brute force,
    with the full solver's transitions), for blocks of 1 to 128 precisions, at a solved V
    (steep, kinked) and at a random V."""
    from steerherd.dp import fast_numba_bounds as K

    rng = np.random.default_rng(seed)
    planner = ("altruistic", "biased")[seed % 2]
    cost = make_cost("linear", k=3.0) if seed < 4 else make_cost("power", k=1.5, alpha=0.5)
    params = Params(planner=planner, p=float(rng.uniform(0.55, 0.9)), delta=0.99, cost=cost)
    agent = Bayesian() if seed % 3 else Behavioral(1.0, 0.8, 1.6)
    setting = _setting(params, agent, 301, 161)
    assert setting.structured
    pk = pack(setting)
    solved = solve_fast(params, 301, 161, agent=agent, kernel="numpy").value
    for v in (solved, solved + rng.normal(0.0, 0.5, solved.size)):
        table = range_table(v)
        s_max, s_min = slope_tables(setting.grid.position, v)
        for i in rng.choice(setting.grid.size, 25, replace=False):
            j0 = int(setting.first_informative[i])
            stop = setting.grid_stop
            if j0 >= stop:
                continue
            js = np.arange(j0, stop)
            rew, lo_g, lo_b, w = transitions_for(params, setting.grid, setting.grid.belief[[i]],
                                                 np.array([i]), setting.q_grid[js][None, :],
                                                 np.zeros((1, js.size), np.int64), agent)
            vp = np.append(v, 0.0)
            q = (rew + params.delta * (w[0] * vp[lo_g] + w[1] * vp[lo_g + 1] + w[2] * vp[lo_b]
                                       + w[3] * vp[lo_b + 1]))[0]
            for width in (1, 3, 8, 32, 128):
                for a in range(j0, stop, width):
                    z = min(a + width, stop) - 1
                    top = q[a - j0: z - j0 + 1].max()
                    args = (setting.grid.belief[i], a, z, setting.q_grid, pk.cost_q, params.p,
                            params.C, params.altruistic)
                    tight = K.tight_bound(*args, pk.concave, params.delta, v, *pk.grid,
                                          SNAP_TOL, setting.lookup[1], s_max, s_min, pk.log2,
                                          RANGE_PAD, BOUND_SLACK)
                    coarse = K.bound(*args, params.delta, setting.grid.position,
                                     setting.lookup[1], table, pk.log2, v, RANGE_PAD,
                                     BOUND_SLACK)
                    assert tight >= top and coarse >= top, (i, a, z, tight, coarse, top)


@pytest.mark.parametrize("compiled", [False, True])
def test_approximate_evaluation_is_close_to_the_lu(compiled: bool) -> None:
    params = Params(planner="biased", p=0.8, delta=0.99, cost=make_cost("linear", k=3.0))
    setting = _setting(params, Bayesian(), 401, 101)
    rows = select(setting.exact, np.argmax(setting.exact.reward, axis=1))
    exact = evaluate_policy(rows, params.delta)
    approx = approx_evaluate(rows, params.delta, None, compiled)
    assert approx is not None
    np.testing.assert_allclose(approx, exact, rtol=0, atol=1e-11 * np.abs(exact).max())


def test_compiled_select_gathers_the_same_rows() -> None:
    from steerherd.dp.fast_kernel import select as compiled_select

    params = Params(planner="biased", p=0.7, delta=0.9, cost=make_cost("linear", k=0.5))
    exact = _setting(params, Bayesian(), 201, 41).exact
    policy = np.random.default_rng(3).integers(0, exact.reward.shape[1], exact.reward.shape[0])
    want, got = select(exact, policy), compiled_select(exact, policy)
    for name in ("q", "side", "kind", "reward", "lo_g", "lo_b", "weights"):
        a, b = getattr(want, name), getattr(got, name)
        assert a.dtype == b.dtype and a.shape == b.shape, name
        np.testing.assert_array_equal(a, b, err_msg=name)


def test_kernel_choice() -> None:
    assert choose("numpy", 10**6, 10**6) == "numpy"
    assert choose("numba", 11, 2) == "numba"
    with pytest.raises(ParameterError, match="kernel"):
        choose("fortran", 11, 2)
    # numba is imported in this process (this module imported it): auto takes it.
    assert choose("auto", 11, 2) == "numba"
    assert LARGE_PAIRS > 1001 * 201  # the CLI default stays below the threshold


def test_the_default_solve_does_not_import_numba() -> None:
    """The default problem (1001 x 201, what ``steerherd solve`` runs) stays on numpy; a large
    one takes numba when it is installed."""
    code = (
        "import sys, steerherd\n"
        "from steerherd import Params\n"
        "steerherd.solve(Params(planner='biased', p=0.7, delta=0.9))\n"
        "assert 'numba' not in sys.modules, 'numba imported'\n"
        "steerherd.solve(Params(planner='biased', p=0.7, delta=0.9), beliefs=2001,"
        " precisions=401)\n"
        "assert 'numba' in sys.modules\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize("seed", [-1, 1, 2, 5, 7, 10, 11])
def test_pruned_blocks_hold_their_interpolation_nodes(seed: int) -> None:
    """Every pruned block that a compiled sweep keeps for the next one records node ranges
    that hold every interpolation node (of nonzero weight) of every pair in the block, G side
    and B side: what makes the next sweep's lifted bound, old bound + δ·[P_G·max ΔV over the
    G range + (1 − P_G)·max ΔV over the B range], a bound (brute force, with the full
    solver's transitions; the hard benchmark case, seed −1, and random instances)."""
    from steerherd.dp import fast_kernel, fast_numba

    if seed < 0:
        params = Params(planner="biased", p=0.8, delta=0.99, cost=make_cost("linear", k=3.0))
        agent: object = Bayesian()
        beliefs, precisions = 601, 121
    else:
        params, agent, beliefs, precisions = _random_instance(seed)
    kept: list[np.ndarray] = []

    class Capture:
        def __getattr__(self, name: str) -> object:
            if name != "search":
                return getattr(fast_numba, name)

            def search(*args: object) -> object:
                out = fast_numba.search(*args)
                kept.append(np.array(out[2][: out[6]]))
                return out

            return search

    original = fast_kernel._kern
    fast_kernel._kern = lambda: Capture()  # type: ignore[assignment]
    try:
        solve_fast(params, beliefs, precisions, agent=agent,  # type: ignore[arg-type]
                   options=SolverOptions(epsilon=EPS), kernel="numba")
    finally:
        fast_kernel._kern = original  # type: ignore[assignment]
    grid = make_belief_grid(beliefs, grid_breakpoints(params, agent))  # type: ignore[arg-type]
    q_grid = make_precision_grid(params.q_min, precisions)
    checked = 0
    for blocks in kept:
        if blocks.size == 0:
            continue
        width = blocks[:, 2] - blocks[:, 1] + 1
        row = np.repeat(np.arange(blocks.shape[0]), width)
        j = blocks[row, 1] + (np.arange(row.size) - np.repeat(np.cumsum(width) - width, width))
        node = blocks[row, 0]
        _, lo_g, lo_b, w = transitions_for(params, grid, grid.belief[node], node,
                                           q_grid[j][:, None], np.zeros((j.size, 1), np.int64),
                                           agent)  # type: ignore[arg-type]
        for k, at, (lo, hi) in ((0, lo_g, (4, 5)), (1, lo_g + 1, (4, 5)), (2, lo_b, (6, 7)),
                                (3, lo_b + 1, (6, 7))):
            used = w[k][:, 0] > 0.0
            inside = (at[:, 0] >= blocks[row, lo]) & (at[:, 0] <= blocks[row, hi])
            assert np.all(inside | ~used), (seed, k, np.flatnonzero(used & ~inside)[:5])
        checked += j.size
    assert checked > 0 or params.delta == 0.0
