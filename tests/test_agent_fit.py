"""Maximum-likelihood fits of Behavioral agents recover a known model within a few s.e."""

from __future__ import annotations

import numpy as np
import pytest

from steerherd.agents import Behavioral, fit_behavioral_actions, fit_behavioral_beliefs, logit
from steerherd.errors import ParameterError

#: Estimates must lie within this many standard errors of the truth (two-sided normal tail
#: 6e-5 per parameter; the seeds are fixed, so the tests are deterministic).
Z_TOL = 4.0


def _data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.random.Generator]:
    rng = np.random.default_rng(seed)
    b = rng.uniform(0.03, 0.97, n)
    q = rng.uniform(0.55, 0.95, n)
    omega = rng.random(n) < b
    signal = np.where(rng.random(n) < q, omega, ~omega)
    return b, q, signal, rng


def test_beliefs_fit_recovers_weights_and_noise() -> None:
    truth = Behavioral(w_prior=0.9, w_agree=0.6, w_disagree=1.8)
    b, q, s, rng = _data(3000, seed=1)
    sigma = 0.4
    noise = sigma * rng.standard_normal(b.size)
    reported = 1.0 / (1.0 + np.exp(-(truth.log_odds(b, q, s) + noise)))
    fit = fit_behavioral_beliefs(b, q, s, reported, clip=1e-9)
    for name, value in (("w_prior", 0.9), ("w_agree", 0.6), ("w_disagree", 1.8), ("sigma", sigma)):
        assert abs(fit.estimates[name] - value) < Z_TOL * fit.stderr[name], name
    assert fit.model is not None and fit.n == 3000
    lo, hi = fit.ci(0.95)["w_disagree"]
    assert lo < fit.estimates["w_disagree"] < hi
    assert fit.to_dict()["method"] == "beliefs"


def test_beliefs_fit_clips_reported_zeros_and_ones() -> None:
    b, q, s, _ = _data(200, seed=2)
    reported = np.where(s, 1.0, 0.0)  # extreme reports: finite only after clipping
    fit = fit_behavioral_beliefs(b, q, s, reported, clip=0.01)
    assert np.isfinite(fit.loglik) and fit.extra["clip"] == 0.01


def test_actions_fit_recovers_lambda_scaled_weights() -> None:
    truth = Behavioral(w_prior=1.0, w_agree=0.6, w_disagree=2.0, lam=0.5)
    b, q, s, rng = _data(20000, seed=3)
    p_good = 1.0 / (1.0 + np.exp(-truth.log_odds(b, q, s) / truth.lam))
    action = rng.random(b.size) < p_good
    fit = fit_behavioral_actions(b, q, s, action)
    for name, value in (("w_prior", 2.0), ("w_agree", 1.2), ("w_disagree", 4.0)):
        assert abs(fit.estimates[name] - value) < Z_TOL * fit.stderr[name], name
    assert fit.model is not None and fit.model.lam == 1.0


def test_actions_of_a_deterministic_agent_are_refused() -> None:
    b, q, s, _ = _data(500, seed=4)
    agent = Behavioral(w_disagree=2.0)
    crit = agent.critical_precision(b)
    action = np.where(q >= crit, s, b > 0.5)
    with pytest.raises(ParameterError, match="separated"):
        fit_behavioral_actions(b, q, s, action)


def test_negative_weights_give_no_model_but_estimates() -> None:
    b, q, s, _ = _data(300, seed=5)
    reported = 1.0 / (1.0 + np.exp(logit(b)))  # anti-correlated with the public belief
    fit = fit_behavioral_beliefs(b, q, s, reported)
    assert fit.model is None and "not all positive" in fit.message


@pytest.mark.parametrize(
    "b, q, match",
    [(np.array([0.0, 0.3, 0.6, 0.7]), np.full(4, 0.7), "in \\(0, 1\\)"),
     (np.array([0.2, 0.3, 0.6, 0.7]), np.array([0.7, 1.0, 0.7, 0.7]), "\\[0.5, 1\\)"),
     (np.full(4, 0.6), np.full(4, 0.7), "not identified")],
)
def test_bad_fit_data_is_refused(b: np.ndarray, q: np.ndarray, match: str) -> None:
    s = np.array([True, False, True, False])
    with pytest.raises(ParameterError, match=match):
        fit_behavioral_beliefs(b, q, s, np.full(4, 0.5))
