"""exact_statistics(...).p_no_cascade is a probability: never negative (issue 15, point 7).

Without the clip, the two cascade probabilities of these constant policies summed to 1 plus
a few ulps, and p_no_cascade came out as −1e-16 … −6e-16.
"""

from __future__ import annotations

import pytest

from steerherd.model import Params
from steerherd.sim.exact import exact_statistics


@pytest.mark.parametrize("q", [0.55, 0.6, 0.7, 0.95, 0.99])
@pytest.mark.parametrize("state", ["B", "G", "prior"])
def test_p_no_cascade_is_never_negative(q: float, state: str) -> None:
    ex = exact_statistics(q, Params(p=0.7), agents=200, state=state)
    assert 0.0 <= ex.p_no_cascade <= 1.0
    assert ex.p_no_cascade == pytest.approx(0.0, abs=1e-12)  # every run cascades by agent 200
    total = ex.p_cascade_correct + ex.p_cascade_wrong + ex.p_no_cascade
    assert total == pytest.approx(1.0, abs=1e-12)


def test_p_no_cascade_positive_when_runs_do_not_cascade() -> None:
    # One agent at q = 0.7 from b = 1/2 follows its signal: no run has cascaded yet.
    ex = exact_statistics(0.7, Params(p=0.7), agents=1, state="B")
    assert ex.p_no_cascade == pytest.approx(1.0, abs=1e-12)
