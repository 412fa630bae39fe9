"""The JAX backend's default MPI steps (chosen from δ) and its agreement with numpy."""

from __future__ import annotations

import numpy as np
import pytest

import steerherd as sh

pytest.importorskip("jax")

from steerherd.dp.jax_backend import auto_mpi_steps  # noqa: E402


def test_auto_steps_contract_the_evaluation_within_the_cap() -> None:
    assert auto_mpi_steps(0.0, 201) == 20
    assert auto_mpi_steps(0.5, 201) == 20  # 0.5^20 < 1e-6 already
    assert auto_mpi_steps(0.9, 201) == 132  # smallest n with 0.9^n <= 1e-6
    assert 0.9**132 <= 1e-6 < 0.9**131
    assert auto_mpi_steps(0.99, 201) == 2 * (201 + 5)  # capped at two greedy steps' work
    assert auto_mpi_steps(0.99, 2001) == 1375


def test_default_jax_solve_near_one_takes_few_iterations_and_matches_numpy() -> None:
    params = sh.Params(planner="biased", p=0.8, delta=0.99, cost=sh.LinearCost(3.0))
    jax_sol = sh.solve(params, beliefs=201, precisions=41, backend="jax")
    ref = sh.solve(params, beliefs=201, precisions=41, method="pi")
    fixed = sh.solve(params, beliefs=201, precisions=41, backend="jax",
                     options=sh.SolverOptions(mpi_steps=20))
    assert jax_sol.certificate.iterations < fixed.certificate.iterations
    np.testing.assert_allclose(jax_sol.V, ref.V, atol=1e-9)
    np.testing.assert_array_equal(jax_sol.q, ref.q)
