"""The model's formulas against brute-force enumeration and their invariants."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from steerherd import LinearCost, ParameterError, Params, PowerCost
from steerherd.agents import Bayesian
from steerherd.model import (
    action_good,
    critical_precision,
    is_informative,
    posterior,
    posterior_bad,
    posterior_good,
    prob_action_bad,
    prob_error,
    prob_signal_good,
    reward,
    reward_from_actions,
)

#: Float64 formulas against float64 enumeration: a few ulps of the values involved.
EXACT = 1e-12

B = np.linspace(0.0, 1.0, 41)
Q = np.linspace(0.5, 1.0, 21)
BB, QQ = np.meshgrid(B, Q, indexing="ij")


def _enumerate(b: float, q: float) -> dict[str, float]:
    """P(a ≠ ω), P(a = B), P(s = G) by summing over (ω, s) with the action rule."""
    out = {"error": 0.0, "bad": 0.0, "signal_good": 0.0}
    for good, sig in itertools.product((True, False), repeat=2):
        p_state = b if good else 1.0 - b
        p_sig = q if sig == good else 1.0 - q
        w = p_state * p_sig
        # The agent's private posterior and the tie rule, computed from scratch.
        post = posterior(b, q, sig)
        act = sig if abs(post - 0.5) < 1e-12 else post > 0.5
        out["error"] += w * (act != good)
        out["bad"] += w * (not act)
        out["signal_good"] += w * sig
    return out


@pytest.mark.parametrize("b,q", [(b, q) for b in B[::4] for q in Q[::4]])
def test_probabilities_match_enumeration(b: float, q: float) -> None:
    ref = _enumerate(b, q)
    np.testing.assert_allclose(prob_error(b, q), ref["error"], atol=EXACT)
    np.testing.assert_allclose(prob_action_bad(b, q), ref["bad"], atol=EXACT)
    np.testing.assert_allclose(prob_signal_good(b, q), ref["signal_good"], atol=EXACT)


def test_tie_rule_follows_signal() -> None:
    # q = max(b, 1 − b) exactly: the agent's posterior after the contrary signal is 1/2.
    for b in (0.3, 0.7, 0.5, 0.1, 0.9):
        q = max(b, 1 - b)
        assert is_informative(b, q)
        assert bool(action_good(b, q, True)) and not bool(action_good(b, q, False))
    assert not is_informative(0.8, 0.7) and bool(action_good(0.8, 0.7, False))
    assert not is_informative(0.2, 0.7) and not bool(action_good(0.2, 0.7, True))


def test_informative_iff_interval() -> None:
    expected = (1 - QQ <= BB + 1e-15) & (BB <= QQ + 1e-15)
    np.testing.assert_array_equal(is_informative(BB, QQ), expected)
    np.testing.assert_allclose(critical_precision(BB), np.maximum(BB, 1 - BB))


def test_martingale_and_range() -> None:
    pg = prob_signal_good(BB, QQ)
    post_g, post_b = posterior_good(BB, QQ), posterior_bad(BB, QQ)
    assert np.all((post_g >= 0) & (post_g <= 1) & (post_b >= 0) & (post_b <= 1))
    np.testing.assert_allclose(pg * post_g + (1 - pg) * post_b, BB, atol=EXACT)


def test_public_belief_martingale_through_actions() -> None:
    gg, gb = Bayesian().action_probs(BB, QQ)
    pa = BB * gg + (1 - BB) * gb
    with np.errstate(invalid="ignore", divide="ignore"):
        up = np.where(pa > 0, BB * gg / pa, BB)
        down = np.where(pa < 1, BB * (1 - gg) / (1 - pa), BB)
    np.testing.assert_allclose(pa * up + (1 - pa) * down, BB, atol=EXACT)


def test_welfare_monotone_in_precision() -> None:
    # P(a ≠ ω) never rises with q, at every belief.
    err = prob_error(BB, QQ)
    assert np.all(np.diff(err, axis=1) <= EXACT)


@pytest.mark.parametrize("planner", ["altruistic", "biased"])
@pytest.mark.parametrize("cost", [LinearCost(0.7), PowerCost(0.4, 0.5)])
def test_reward_from_bayesian_actions_equals_closed_form(planner: str, cost: object) -> None:
    params = Params(planner=planner, p=0.65, cost=cost)  # type: ignore[arg-type]
    gg, gb = Bayesian().action_probs(BB, QQ)
    np.testing.assert_allclose(reward_from_actions(params, BB, QQ, gg, gb),
                               reward(params, BB, QQ), atol=EXACT)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"p": 1.2}, r"p must be in \[0.5, 1\), got 1.2"),
        ({"p": 0.4}, r"p must be in \[0.5, 1\)"),
        ({"delta": 1.0}, "delta must be in .* pass --horizon N"),
        ({"delta": -0.1}, "delta must be in"),
        ({"delta": 1.0, "horizon": 0}, "horizon must be >= 1"),
        ({"horizon": 2.5}, "horizon must be a whole number"),
        ({"C": 0.0}, "C must be > 0"),
        ({"planner": "selfish"}, "planner must be one of"),
        ({"p": "abc"}, "p must be a number, got 'abc'"),
        ({"p": float("nan")}, "p must be finite"),
        ({"prior": 1.5}, r"prior must be in \[0, 1\]"),
        ({"cost": 3.0}, "cost must be a steerherd cost"),
    ],
)
def test_params_errors(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        Params(**kwargs)  # type: ignore[arg-type]


def test_params_round_trip_and_finite_horizon() -> None:
    params = Params(planner="biased", p=0.6, delta=1.0, horizon=5, cost=PowerCost(0.3, 0.5))
    assert Params.from_dict(params.to_dict()) == params
    assert params.q_min == 0.5 and Params(p=0.6).q_min == 0.6
