"""Cost families and the checks on user costs."""

from __future__ import annotations

import numpy as np
import pytest

from steerherd import CallableCost, LinearCost, ParameterError, PowerCost, make_cost
from steerherd.model.costs import cost_from_dict


def test_families() -> None:
    x = np.linspace(0, 1, 11)
    np.testing.assert_allclose(LinearCost(2.0)(x), 2.0 * x)
    np.testing.assert_allclose(PowerCost(1.5, 0.5)(x), 1.5 * np.sqrt(x))
    assert make_cost("power", k=1.0, alpha=0.25) == PowerCost(1.0, 0.25)
    for cost in (LinearCost(0.3), PowerCost(0.2, 0.7)):
        assert cost_from_dict(cost.to_dict()) == cost


@pytest.mark.parametrize(
    "build,match",
    [
        (lambda: LinearCost(-1.0), "k must be >= 0, got -1.0"),
        (lambda: PowerCost(1.0, 2.0), r"alpha must be in \(0, 1\] .* got 2.0"),
        (lambda: PowerCost(1.0, 0.0), r"alpha must be in \(0, 1\]"),
        (lambda: make_cost("cubic"), r"cost must be one of \['linear', 'power'\], got 'cubic'"),
        (lambda: make_cost("linear", alpha=0.5), "alpha applies to the power cost only"),
        (lambda: CallableCost(lambda x: x + 0.1), r"beta\(0\) = 0"),
        (lambda: CallableCost(lambda x: -x), "must be >= 0"),
        (lambda: CallableCost(lambda x: np.sin(6 * x) ** 2), "non-decreasing"),
        (lambda: CallableCost(lambda x: 1.0), "same shape"),
        (lambda: cost_from_dict({"family": "callable", "name": "mine"}), "cannot be rebuilt"),
    ],
)
def test_cost_errors(build: object, match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        build()  # type: ignore[operator]


def test_non_concave_user_cost_warns() -> None:
    with pytest.warns(UserWarning, match="not concave"):
        cost = CallableCost(lambda x: x**2, name="square")
    assert float(cost(0.5)) == 0.25


def test_concave_user_cost_is_silent() -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        CallableCost(lambda x: np.log1p(x), name="log")
