r"""Certified regimes: which mode is optimal where, for certain, and thresholds as intervals.

For a cell and a mode m with precision neighbourhood N_w(m, b) (resolution w in q):

=============  =====================================  =====================================
mode           N_w(m, b)                              playable precision (lower bound)
=============  =====================================  =====================================
baseline       [p − w, p + w]                         p
full           [1 − w, 1]                             1
informative    [c(b), c(b) + w], c(b) = max(b, 1 − b)  b (b ≥ 1/2) or 1 − b + m (b < 1/2):
               (the tie or the limit from above)      the tie, or just above it
obfuscate      [b − w, b), b > 1/2 (a G cascade:      min(p, b − m) while b ≤ p
               the limit from below)
other          everything outside the four above      the certified policy's constant, if
                                                      it lies outside them
=============  =====================================  =====================================

Mode m is **certain** on a cell when a lower bound on the value of playing m's precision
now (then the certified policy) exceeds an upper bound on r + δ E[V*] over every precision
outside N_w(m, b) (for ``other``: inside any of the four). Then every precision within the
certified gap of optimal lies in N_w(m, b). Upper bounds use the final boxes of the
certified run, clipped to the precision sets, against the certified upper bound; lower
bounds use the pessimistic forms of :mod:`steerherd.dp.bounds.boxes` against the certified lower.
**Names = the grid's names** (:mod:`steerherd.structure`). The neighbourhood of
``informative`` holds both the tie q = c(b) and the limit from above q ↓ c(b); since the agent
follows its signal on a tie, the two differ only in V*(1/2) against V*(1/2 + 0) (b < 1/2, the
G-successor) or V*(1/2 − 0) (b > 1/2, the B-successor). So a certain ``informative`` cell is
reported as

* ``informative`` (the tie, attained) when lower({1/2}) > upper(the cell beside 1/2);
* ``escape`` (c(b) ≥ p on the whole cell) or ``tip`` (c(b) + w < p on the whole cell), the
  limit from above, when lower(the cell beside 1/2) > upper({1/2});
* ``undecided`` otherwise (e.g. when V* is continuous at 1/2, so that tie and limit are
  worth the same and the grid's ``informative`` cannot be told apart from a limit).

A certain mode whose neighbourhood also holds another mode's precision somewhere on the
cell (p or 1 within w of c(b), p within w of 1, the cell {1/2}) is ``undecided`` as well:
the precision set cannot tell the grid's names apart there. ``obfuscate`` (q ↑ b) and
``other`` keep their names. So every name reported is the grid's name at every belief of
the cell (a test checks this against fine grids for both planners).

A threshold between two certain modes is reported as the interval between them, which is
guaranteed to contain every switch between those two modes; cells neither mode can claim
are ``undecided``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from steerherd.dp.bounds import ops
from steerherd.dp.bounds.boxes import (
    ABOVE,
    BELOW,
    CONST,
    TIE,
    Options,
    box_options,
    form_available,
    policy_options,
    reward_margin,
)
from steerherd.dp.bounds.cells import Cells
from steerherd.dp.bounds.certify import Bounds
from steerherd.errors import ParameterError
from steerherd.types import FloatArray

#: The modes decided by the bounds; reported under the grid's names (see :func:`_grid_names`).
MODES = ("baseline", "full", "informative", "obfuscate", "other")
#: Default resolution w of a mode's precision neighbourhood.
RESOLUTION = 1e-3
UNDECIDED = "undecided"


@dataclass(frozen=True)
class CertifiedRegimes:
    """Per cell the certain mode (or ``undecided``), its runs, and threshold intervals."""

    cells: Cells
    mode: np.ndarray
    resolution: float
    runs: list[dict[str, Any]] = field(default_factory=list)
    thresholds: list[dict[str, Any]] = field(default_factory=list)

    @property
    def undecided(self) -> list[tuple[float, float]]:
        """Belief intervals where the bounds cannot yet decide the mode."""
        return [(r["lo"], r["hi"]) for r in self.runs if r["mode"] == UNDECIDED]

    def mode_at(self, b: float) -> str:
        """The certain mode at belief b, or ``undecided``."""
        return str(self.mode[int(self.cells.owner(np.array(float(b))))])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: resolution, runs, thresholds and undecided intervals."""
        return {"resolution": self.resolution, "runs": self.runs,
                "thresholds": self.thresholds,
                "undecided": [list(u) for u in self.undecided]}


def certified_regimes(bounds: Bounds, resolution: float = RESOLUTION) -> CertifiedRegimes:
    """Certain modes per cell, runs and threshold intervals (see the module docstring).

    Raises:
        ParameterError: for a finite horizon (the stage operators are not kept).
    """
    if bounds.params.horizon is not None or bounds.boxes is None:
        raise ParameterError("certified regimes cover the infinite horizon only")
    par, cells, w = bounds.params, bounds.cells, resolution
    n = cells.size
    low = {m: lower_mode(bounds, m, w) for m in MODES}
    sets = precision_sets(bounds, w)
    up_out = {m: restricted_upper(bounds, *sets[m][1]) for m in MODES[:4]}
    up_in = {m: restricted_upper(bounds, *sets[m][0]) for m in MODES[:4]}
    up_out["other"] = np.max([up_in[m] for m in MODES[:4]], axis=0)
    mode = np.full(n, UNDECIDED, dtype=object)
    for m in MODES:
        sure = low[m] > up_out[m] + ops.fp_margin(bounds.upper, par.delta)
        mode[sure] = m
    mode = _grid_names(bounds, mode.astype(str), w)
    return CertifiedRegimes(cells, mode, w, *_runs(cells.lo, cells.hi, mode))


def _grid_names(bounds: Bounds, mode: np.ndarray, w: float) -> np.ndarray:
    """Rename certain modes to the grid's names; ``undecided`` where the set cannot tell.

    See the module docstring: the neighbourhood [c, c + w] of ``informative`` becomes
    ``informative`` (the tie), ``escape`` or ``tip`` (the limit from above) when the bounds
    at 1/2 and beside it order V*(1/2) and V*(1/2 ± 0); a neighbourhood that also holds
    another mode's precision (p, 1 or c(b) within w) is ``undecided``.
    """
    par, cells = bounds.params, bounds.cells
    lo, up, h = bounds.lower, bounds.upper, cells.half
    fpm = ops.fp_margin(bounds.upper, par.delta)
    b0, b1 = cells.lo, cells.hi
    c_lo = np.where(b1 <= 0.5, 1.0 - b1, np.where(b0 >= 0.5, b0, 0.5))
    c_hi = np.maximum(b1, 1.0 - b0)
    out = mode.astype(object)
    # Which is better, the tie (successor exactly 1/2) or the limit from above (successor
    # 1/2 + 0 for b < 1/2, 1/2 − 0 for b > 1/2)? The agent follows its signal on a tie, so
    # reward and probabilities agree in the limit; only V*(1/2) against V*(1/2 ± 0) differs.
    beside = np.where(b1 <= 0.5, h + 1, h - 1)
    above_wins = lo[beside] > up[h] + fpm
    tie_wins = lo[h] > up[beside] + fpm
    inf = mode == "informative"
    limit = np.where(c_lo >= par.p, "escape", np.where(c_hi + w < par.p, "tip", UNDECIDED))
    out[inf] = np.where(above_wins[inf], limit[inf],
                        np.where(tie_wins[inf], "informative", UNDECIDED))
    # Neighbourhoods that hold another mode's precision somewhere on the cell.
    near_p = (c_lo - w <= par.p) & (par.p <= c_hi + w)
    near_1 = c_hi >= 1.0 - w
    out[inf & (near_p | near_1 | cells.point)] = UNDECIDED
    out[(mode == "baseline") & (near_p | (par.p >= 1.0 - w))] = UNDECIDED
    out[(mode == "full") & near_1] = UNDECIDED
    return np.asarray(out.astype(str))


def lower_mode(bounds: Bounds, m: str, w: float) -> FloatArray:
    """Pessimistic value of playing mode m's precision now, then the certified policy."""
    par, cells = bounds.params, bounds.cells
    n, idx, mg = cells.size, np.arange(cells.size), bounds.margin
    out = np.full(n, -np.inf)
    picks: list[tuple[int, np.ndarray, FloatArray]] = []
    if m == "baseline":
        picks.append((CONST, np.ones(n, bool), np.full(n, par.p)))
    elif m == "full":
        picks.append((CONST, np.ones(n, bool), np.ones(n)))
    elif m == "informative":
        picks.append((TIE, form_available(cells, par, TIE, mg), np.full(n, np.nan)))
        picks.append((ABOVE, form_available(cells, par, ABOVE, mg) & (mg <= w),
                      np.full(n, np.nan)))
    elif m == "obfuscate":
        ok = form_available(cells, par, BELOW, mg) & (cells.hi <= par.p) & (mg <= w)
        picks.append((BELOW, ok, np.full(n, np.nan)))
    else:
        c = bounds.const
        crit_hi = np.maximum(cells.hi, 1.0 - cells.lo)
        crit_lo = np.where(cells.hi < 0.5, 1.0 - cells.hi,
                           np.where(cells.lo > 0.5, cells.lo, 0.5))
        far = (bounds.form == CONST) & (np.abs(c - par.p) > w) & (c < 1.0 - w) \
            & ((c > crit_hi + w) | (c < crit_lo - w))
        picks.append((CONST, far, c))
    for form, ok, const in picks:
        if not ok.any():
            continue
        cand = idx[ok]
        opts, cid = policy_options(cells, par, np.arange(cand.size), cand, form, const[ok],
                                   mg[ok])
        val, *_ = ops.evaluate(opts, bounds.lower, par.delta, "min")
        worst = np.full(cand.size, np.inf)
        np.minimum.at(worst, cid, val)
        out[cand] = np.maximum(out[cand], worst)
    return out


def precision_sets(bounds: Bounds, w: float) -> dict[str, tuple[tuple[Any, ...], ...]]:
    """Per mode, the precision sets inside and outside its neighbourhood.

    Each as (box clip intervals, G-cascade q-range, B-cascade q-range), each a list of
    per-cell [a, c] arrays (a > c: empty).
    """
    par, cells = bounds.params, bounds.cells
    n, b0, b1 = cells.size, cells.lo, cells.hi
    full_q = (np.full(n, par.q_min), np.ones(n))
    none = (np.ones(n), np.zeros(n))
    crit_lo = np.nextafter(np.where(b1 < 0.5, 1.0 - b1, np.where(b0 > 0.5, b0, 0.5)), 0.0)
    crit_hi = np.nextafter(np.maximum(b1, 1.0 - b0), 2.0)
    base = (np.full(n, par.p - w), np.full(n, par.p + w))
    below_p = (np.full(n, par.q_min), np.full(n, par.p - w))
    above_p = (np.full(n, par.p + w), np.ones(n))
    top = (np.full(n, 1.0 - w), np.ones(n))
    rest = (np.full(n, par.q_min), np.full(n, 1.0 - w))
    # G cascade with q ∈ [b − w, b) for some b of the cell (cells above 1/2 only).
    obf = (b0 - w, np.where(b0 >= 0.5, b1, -1.0))
    return {
        "baseline": (([base], base, base),
                     ([below_p, above_p], (below_p, above_p), (below_p, above_p))),
        "full": (([top], top, top), ([rest], full_q, full_q)),
        "informative": (([(crit_lo, crit_hi + w)], none, none),
                        ([(crit_lo + w, np.ones(n))], full_q, full_q)),
        "obfuscate": (([], obf, none), ([full_q], (np.full(n, par.q_min), b1 - w), full_q)),
    }


def restricted_upper(bounds: Bounds, clips: list[tuple[FloatArray, FloatArray]],
                     g_range: Any, b_range: Any) -> FloatArray:
    """Upper bound of r + δ E[V*] over the precisions allowed.

    Boxes are clipped to ``clips`` and cascades keep q in the given ranges; −inf where
    nothing is allowed.
    """
    par, cells, boxes = bounds.params, bounds.cells, bounds.boxes
    assert boxes is not None
    n = cells.size
    parts = []
    for a, c in clips:
        q0 = np.maximum(boxes.q0, a[boxes.cell])
        q1 = np.minimum(boxes.q1, c[boxes.cell])
        ok = q0 <= q1
        if ok.any():
            parts.append(box_options(cells, par, boxes.cell[ok], q0[ok], q1[ok]))
    for rng in _as_list(g_range):
        parts.append(_cascade_part(bounds, "G", *rng))
    for rng in _as_list(b_range):
        parts.append(_cascade_part(bounds, "B", *rng))
    out = np.full(n, -np.inf)
    parts = [p for p in parts if p.size]
    if not parts:
        return out
    opts = Options.concat(parts)
    val, *_ = ops.evaluate(opts, bounds.upper, par.delta, "max")
    np.maximum.at(out, opts.cell, val)
    return out


def _as_list(rng: Any) -> list[tuple[FloatArray, FloatArray]]:
    if isinstance(rng, tuple) and len(rng) == 2 and isinstance(rng[0], np.ndarray):
        return [rng]
    return list(rng)


def _cascade_part(bounds: Bounds, side: str, a: FloatArray, c: FloatArray) -> Options:
    """Optimistic cascade options with q ∈ [a, c] (and q < b or q < 1 − b)."""
    par, cells = bounds.params, bounds.cells
    b0, b1 = cells.lo, cells.hi
    lo = np.maximum(a, par.q_min)
    hi = np.minimum(c, b1 if side == "G" else np.nextafter(1.0 - b0, 2.0))
    exists = (lo <= hi) & ((b1 > lo) if side == "G" else (b0 < 1.0 - lo))
    dist = np.maximum(0.0, np.maximum(lo - par.p, par.p - hi))
    alt = par.planner == "altruistic"
    loss = ((1.0 - b1) if alt else 0.0) if side == "G" else (b0 if alt else 1.0)
    r = -np.asarray(par.cost(dist)) - par.C * loss + reward_margin(par)
    idx = np.flatnonzero(exists)
    half = np.full(idx.size, 0.5)
    return Options(idx, r[idx], half, half, idx, idx, idx, idx)


def _runs(lo: FloatArray, hi: FloatArray, mode: np.ndarray
          ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Maximal runs of one mode, and threshold intervals between consecutive certain runs."""
    change = np.flatnonzero(np.r_[True, mode[1:] != mode[:-1]])
    ends = np.r_[change[1:] - 1, mode.size - 1]
    runs = [{"mode": str(mode[s]), "lo": float(lo[s]), "hi": float(hi[e])}
            for s, e in zip(change, ends, strict=True)]
    sure = [r for r in runs if r["mode"] != UNDECIDED]
    thresholds = [{"from": a["mode"], "to": b["mode"], "lo": a["hi"], "hi": b["lo"]}
                  for a, b in zip(sure[:-1], sure[1:], strict=False) if a["mode"] != b["mode"]]
    return runs, thresholds
