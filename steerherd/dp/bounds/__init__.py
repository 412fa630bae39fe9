"""Certified bounds on V* for the continuous-belief problem (not the grid).

Cells over beliefs and boxes over precisions (:mod:`~steerherd.dp.bounds.cells`,
:mod:`~steerherd.dp.bounds.boxes`); the optimistic and pessimistic operators
(:mod:`~steerherd.dp.bounds.ops`); refinement to a tolerance (:mod:`~steerherd.dp.bounds.certify`);
the Solution's cache and JSON (:mod:`~steerherd.dp.bounds.cache`); certified regimes and
threshold intervals (:mod:`~steerherd.dp.bounds.regimes`). The argument is in docs/theory.md.
"""

from steerherd.dp.bounds.certify import Bounds, BoundsNotReached, certify, default_tol

__all__ = ["Bounds", "BoundsNotReached", "certify", "default_tol"]
