"""JAX backend parity with the numpy reference (x64), batching and errors."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import steerherd
from steerherd import ConvergenceError, ParameterError, Params, SolverOptions, make_cost

pytest.importorskip("jax")
from steerherd.api import solve_batch  # noqa: E402

#: Each value is within epsilon/2 (1e-10/2) of V* on the grid, so two solutions within 1e-10.
VALUE_TOL = 1e-10
BELIEFS, PRECISIONS = 201, 41

CASES = [
    Params(planner="altruistic", p=0.7, delta=0.9, cost=make_cost("linear", 0.5)),
    Params(planner="biased", p=0.7, delta=0.9, cost=make_cost("linear", 0.3)),  # obfuscation
    Params(planner="biased", p=0.8, delta=0.0, cost=make_cost("power", 0.4, 0.5)),
    Params(planner="altruistic", p=0.6, delta=0.95, cost=make_cost("power", 0.8, 0.7)),
    Params(planner="altruistic", p=0.5, delta=0.0),  # one breakpoint: its own batch group
    Params(planner="biased", p=0.65, delta=0.8, C=2.0, cost=make_cost("linear", 1.5)),
]


@pytest.fixture(scope="module", params=["vi", "mpi"])
def solved(request: pytest.FixtureRequest) -> tuple[str, list[steerherd.Solution]]:
    method = request.param
    return method, solve_batch(CASES, beliefs=BELIEFS, precisions=PRECISIONS, method=method)


@pytest.mark.parametrize("i", range(len(CASES)))
def test_parity_with_numpy(solved: tuple[str, list[steerherd.Solution]], i: int) -> None:
    method, sols = solved
    # numpy VI is the reference: numpy's PI/MPI evaluate the tie-broken policy and cannot
    # always certify epsilon = 1e-10 (a core issue, reported); JAX's MPI evaluates a maximiser.
    ref = steerherd.solve(CASES[i], beliefs=BELIEFS, precisions=PRECISIONS, method="vi")
    got = sols[i]
    assert got.params == CASES[i]
    np.testing.assert_array_equal(got.grid.position, ref.grid.position)
    np.testing.assert_allclose(got.V, ref.V, rtol=0, atol=VALUE_TOL)
    np.testing.assert_array_equal(got.kind, ref.kind)
    np.testing.assert_array_equal(got.modes, ref.modes)
    np.testing.assert_allclose(got.q, ref.q, rtol=0, atol=VALUE_TOL)
    if method == "vi":  # the same float64 operations in the same order
        assert got.certificate.iterations == ref.certificate.iterations
    assert got.thresholds == ref.thresholds


def test_obfuscation_is_found(solved: tuple[str, list[steerherd.Solution]]) -> None:
    assert "obfuscate" in set(solved[1][1].modes)


def test_agrees_with_policy_iteration_within_its_certificate() -> None:
    ref = steerherd.solve(CASES[0], beliefs=BELIEFS, precisions=PRECISIONS, method="pi")
    got = steerherd.solve(CASES[0], beliefs=BELIEFS, precisions=PRECISIONS, backend="jax")
    assert got.certificate.method == "jax-mpi"
    # The JAX value is within gap/2 of V* on the grid, PI's within its own gap.
    bound = got.certificate.gap + ref.certificate.gap + 1e-12
    assert np.abs(got.V - ref.V).max() <= bound
    np.testing.assert_array_equal(got.modes, ref.modes)


def test_numpy_only_path_does_not_import_jax() -> None:
    import subprocess

    code = ("import sys, steerherd; steerherd.solve(steerherd.Params(), beliefs=51, "
            "precisions=11); print('jax' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_max_iter_raises() -> None:
    with pytest.raises(ConvergenceError, match="max_iter=3"):
        solve_batch(CASES[:1], beliefs=51, precisions=11, method="vi",
                    options=SolverOptions(max_iter=3))


@pytest.mark.parametrize(
    ("params", "match"),
    [
        (Params(horizon=5), "horizon"),
        (Params(cost=steerherd.CallableCost(lambda x: 0.5 * x)), "linear and power"),
    ],
)
def test_unsupported_problems(params: Params, match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        solve_batch([params], beliefs=51, precisions=11)


def test_bad_method_and_backend() -> None:
    with pytest.raises(ParameterError, match="method must be one of"):
        solve_batch(CASES[:1], beliefs=51, precisions=11, method="lp")
    with pytest.raises(ParameterError, match="backend must be one of"):
        steerherd.solve(CASES[0], beliefs=51, backend="torch")


def test_top_level_solve_batch_backends_agree() -> None:
    cases = CASES[:2]
    got = steerherd.solve_batch(cases, beliefs=BELIEFS, precisions=PRECISIONS, method="vi")
    ref = steerherd.solve_batch(cases, beliefs=BELIEFS, precisions=PRECISIONS, method="vi",
                                backend="numpy")
    for a, b in zip(got, ref, strict=True):
        np.testing.assert_allclose(a.V, b.V, rtol=0, atol=VALUE_TOL)
        np.testing.assert_array_equal(a.modes, b.modes)


def test_bucket_search_is_searchsorted() -> None:
    import jax
    import jax.numpy as jnp

    from steerherd.dp.grid import make_belief_grid
    from steerherd.dp.jax_backend import _buckets, _span, bucket_search

    rng = np.random.default_rng(7)
    for n, bps in ((101, [0.3, 0.5, 0.7]), (1001, [0.5]), (57, [0.12, 0.5, 0.88])):
        pos = make_belief_grid(n, bps).position
        table = _buckets(pos)
        # random points, every node exactly, and its float neighbours on both sides
        y = np.concatenate([rng.random(2000), pos, np.nextafter(pos, 0), np.nextafter(pos, 1),
                            [0.0, 1.0]])
        y = np.clip(y, 0.0, 1.0)
        with jax.enable_x64(True):
            got = np.asarray(bucket_search(jnp, jnp.asarray(pos), jnp.asarray(table),
                                           jnp.asarray(y), _span(table[None, :])))
        np.testing.assert_array_equal(got, np.searchsorted(pos, y, side="right") - 1)
