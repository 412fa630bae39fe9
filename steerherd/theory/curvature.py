r"""Is a convexity failure real? Second differences at fixed beliefs under grid refinement.

A per-node slope jump (V₊ − V)/h₊ − (V − V₋)/h₋ is a second difference over one grid step:
for a smooth V it is about V''·h, so it shrinks with the grid even where V is genuinely
concave. Shrinking per-node jumps therefore do not tell a discretisation effect from real
concavity. This module measures curvature on a stencil that does *not* move with the grid:

    D₂(b; H) = (V(b − H) − 2 V(b) + V(b + H)) / H²,

at fixed beliefs b and a fixed half-width H, with V read from solutions on successively finer
grids (linear interpolation between nodes). As the grid refines, D₂ converges to the
curvature of the true V averaged over [b − H, b + H]: V'' for a smooth V, about −J/H across a
concave kink of slope jump J, and growing like a cusp's slope. A discretisation effect is an
O(h^r) value error, so its contribution to D₂ falls like h^r/H².

Rules (:func:`curvature_evidence`), at each belief and for each half-width H in
:data:`STENCIL_STEPS` (in steps h of the coarsest grid: H = h and H = 4h, because a concave
kink a few steps from a convex one is seen only by the narrow stencil, and smooth curvature
best by the wide one):

* **concave**: D₂ < −tol on every level, and the finest level's D₂ has not shrunk towards 0
  by :data:`SHRINK_FACTOR` or more against the coarsest (it "stays negative"). tol is
  4ε/H² with ε the level's value tolerance (:func:`steerherd.theory.theorems.convexity_tolerance`),
  the most an ε-perturbation of three values can move D₂. A discretisation effect, an
  O(h^r) value error with r ≥ 1, shrinks at least 4-fold per 4-fold refinement.
* Interpolation cannot fake concavity where V is convex as long as H ≥ 4h on the level
  measured: it over-estimates a convex V by at most V''h²/8 (smooth) or J·h/4 (a convex
  kink), which moves D₂ by at most V''h²/(4H²) or J·h/(2H²), less than the true convex D₂.
  The finer level (4× finer) meets H ≥ 4h for both stencils; the coarsest level at H = h
  serves only as the reference the finer one must not shrink from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from steerherd.solution import Solution

#: The stencil half-widths, in steps of the coarsest grid.
STENCIL_STEPS = (1, 4)
#: D₂ that falls towards 0 by this factor or more from the coarsest to the finest level is
#: not "staying negative".
SHRINK_FACTOR = 2.0


@dataclass(frozen=True)
class CurvatureEvidence:
    """D₂ at one belief on each grid level.

    Attributes:
        belief: the stencil's centre (clipped to [H, 1 − H]).
        stencil: the half-width H.
        second_differences: D₂ on each level, coarsest first.
        tolerances: 4ε/H² on each level.
        concave: D₂ stays below −tol on every level and does not shrink (see the module).
    """

    belief: float
    stencil: float
    second_differences: tuple[float, ...]
    tolerances: tuple[float, ...]
    concave: bool

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict."""
        return {"belief": self.belief, "stencil": self.stencil,
                "second_differences": list(self.second_differences),
                "tolerances": list(self.tolerances), "concave": self.concave}


def second_difference(sol: Solution, b: float, h: float) -> float:
    """D₂(b; h) from the solution's interpolated V."""
    v = sol.value(np.array([b - h, b, b + h]))
    return float((v[0] - 2.0 * v[1] + v[2]) / (h * h))


def curvature_evidence(levels: Sequence[Solution], beliefs: Sequence[float],
                       stencils: Sequence[float] | None = None) -> list[CurvatureEvidence]:
    """D₂ at each belief and half-width on each level (coarsest first), with the verdict.

    Args:
        levels: solutions of one problem on successively finer grids.
        beliefs: where to measure (e.g. the nodes where a convexity check failed).
        stencils: the half-widths H; default STENCIL_STEPS steps of the coarsest grid.
    """
    from steerherd.theory.theorems import convexity_tolerance

    step = float(np.diff(np.unique(levels[0].grid.position)).max())
    widths = [n * step for n in STENCIL_STEPS] if stencils is None else list(stencils)
    eps = [convexity_tolerance(s) for s in levels]
    out = []
    for b in dict.fromkeys(float(x) for x in beliefs):  # unique, in order
        for h in widths:
            x = float(np.clip(b, h, 1.0 - h))
            d2 = tuple(second_difference(s, x, h) for s in levels)
            tol = tuple(4.0 * e / (h * h) for e in eps)
            negative = all(d < -t for d, t in zip(d2, tol, strict=True))
            concave = negative and d2[-1] * SHRINK_FACTOR < d2[0]
            out.append(CurvatureEvidence(x, h, d2, tol, concave))
    return out
