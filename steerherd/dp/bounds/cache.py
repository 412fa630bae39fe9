"""What a Solution exposes of the certified bounds: computation on demand and JSON.

The grid certificate (:class:`~steerherd.dp.solve.Certificate`) bounds V* of the
*discretised* MDP at its nodes; the bounds here (:mod:`steerherd.dp.bounds.certify`) bound V* of the
continuous-belief problem at every belief. :class:`CertifiedCache` holds the latter for a
Solution: computed on the first call that needs them, at :func:`default_tol` unless a
tolerance is given, and recomputed only when a tighter one is asked for.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from steerherd.dp.bounds.certify import Bounds, BoundsNotReached, certify, default_tol
from steerherd.errors import ParameterError
from steerherd.model import Params
from steerherd.types import FloatArray


def check_agent(agent: dict[str, Any]) -> None:
    """Refuse agent models the construction does not cover.

    Raises:
        ParameterError: for any agent model other than Bayesian.
    """
    model = agent.get("model", "bayesian")
    if model != "bayesian":
        raise ParameterError(
            f"certified bounds cover Bayesian agents only, got agent model {model!r}: the cell"
            " construction needs the Bayesian successor map (monotone in b and q, exact side of"
            " 1/2), which is not implemented for other agent models")


class CertifiedCache:
    """The certified bounds of one problem, computed on demand."""

    def __init__(self, params: Params, agent: dict[str, Any], bounds: Bounds | None = None
                 ) -> None:
        self.params = params
        self.agent = agent
        self.value: Bounds | None = bounds

    def get(self, tol: float | None = None, max_seconds: float | None = None,
            keep_partial: bool = False) -> Bounds:
        """The bounds at ``tol`` (default :func:`default_tol`); computed if not yet held.

        Raises:
            ParameterError: for a non-Bayesian agent or tol ≤ 0.
            ConvergenceError: if the tolerance is not reached in time (names the gap); with
                ``keep_partial`` the wider bounds reached are kept and returned instead
                (infinite horizon).
        """
        check_agent(self.agent)
        tol = default_tol(self.params) if tol is None else tol
        if self.value is None or self.value.max_gap > tol:
            try:
                if max_seconds is None:
                    self.value = certify(self.params, tol=tol)
                else:
                    self.value = certify(self.params, tol=tol, max_seconds=max_seconds)
            except BoundsNotReached as err:
                if not keep_partial or err.bounds is None:
                    raise
                self.value = err.bounds
        return self.value


def bounds_to_dict(bounds: Bounds, belief: FloatArray) -> dict[str, Any]:
    """The JSON block of certified bounds.

    Lower and upper at the given beliefs, the certified max gap over all beliefs, and the
    run's statistics and certified regimes.
    """
    from steerherd.dp.bounds.regimes import certified_regimes

    lo, up = bounds.at(belief)
    return {
        "belief": np.asarray(belief, dtype=np.float64).tolist(),
        "lower": lo.tolist(),
        "upper": up.tolist(),
        "max_gap": bounds.max_gap,
        "tol": bounds.tol,
        "covers": "V* of the continuous-belief problem at every b in [0, 1]",
        "stats": dict(bounds.stats),
        # A finite horizon keeps no stage operators: no certified regimes (None).
        "regimes": (certified_regimes(bounds).to_dict() if bounds.params.horizon is None
                    else None),
    }
