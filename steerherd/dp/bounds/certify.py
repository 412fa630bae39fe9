r"""Certified bounds on the continuous-belief problem: lower(b) ≤ V*(b) ≤ upper(b) for all b.

The construction (proof sketch in docs/theory.md, "Certified bounds"):

* **Cells** partition [0, 1] (:class:`~steerherd.dp.bounds.cells.Cells`): {0}, {1/2}, {1} and
  intervals, refined where the gap is largest. Bounds are constant on each cell.
* **Upper bound.** Precisions are covered by boxes per cell; each box's optimistic option
  (:func:`~steerherd.dp.bounds.boxes.box_options`) bounds r + δ E[U(successor)] over the box from
  above, and the two cascades are exact self-loops. The box operator T̄ then satisfies
  T Ũ ≤ (T̄ U)~ for the true Bellman operator T, so a supersolution of T̄ is ≥ V*.
* **Lower bound.** A playable policy, one form per cell (:mod:`steerherd.dp.bounds.boxes`: a
  constant, ``1 − b + m``, ``b`` or ``min(p, b − m)``), is evaluated pessimistically (nature
  picks the worst successor cell and the worst P); a subsolution of that operator is ≤ the
  policy's own value V_σ ≤ V*.
* Both are solved by policy iteration and closed by the MacQueen–Porteus step with a
  rounding allowance (:mod:`steerherd.dp.bounds.ops`). Cells whose gap exceeds tol/2 are
  halved (in log-likelihood ratio), boxes wider (in log-odds) than their cell are halved,
  and boxes that cannot beat the cell's lower bound are set aside (they stay in the final
  certificate step, so the bound never depends on that guess).
* A finite horizon N is backward induction on the same operators (V₀ = 0).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from steerherd.dp.bounds import ops
from steerherd.dp.bounds.boxes import (
    ABOVE,
    BELOW,
    CONST,
    TARGET,
    TARGET_M,
    TIE,
    Options,
    box_options,
    cascade_options,
    form_available,
    policy_options,
    policy_q,
    target_turn,
)
from steerherd.dp.bounds.cells import GEO_PIECES, HALF, Cells, logit
from steerherd.errors import ConvergenceError, ParameterError
from steerherd.model import Params
from steerherd.types import ArrayLike, FloatArray, IntArray

#: A policy per cell (or per stage × cell): form code, constant, margin m.
Policy = tuple[IntArray, FloatArray, FloatArray]
#: Default tolerance on max(upper − lower) when none is given.
DEFAULT_TOL = 1e-2
#: Default wall-clock limit of a refinement, in seconds.
DEFAULT_SECONDS = 120.0
#: Initial boxes per cell: uniform in log-odds λ = log(q/(1−q)) up to LAMBDA_MAX, then [.., 1].
LAMBDA_MAX = 36.0
BOX_STEP0 = 1.0
#: Memory guard: refinement stops (ConvergenceError) beyond this many precision boxes.
MAX_BOXES = 12_000_000
#: Boxes with an end at p narrower than this are no longer cut toward p.
GEO_MIN_WIDTH = 1e-15
#: The lower bound tries constants at these fractions of the upper bound's best box.
HINT_FRACS = (0.0, 0.25, 0.5, 0.75, 1.0)
#: Only boxes whose optimistic value lies in the top HOT fraction of their cell's gap are
#: split (the others stay in the operator, unsplit, until the upper bound falls to them).
HOT = 0.5
#: … and at most HOT_MAX of them per cell and level (the best).
HOT_MAX = 8
#: A hot box wider (in log-odds) than its cell is halved; a cell's best one is cut into up
#: to MAX_PIECES pieces per level.
MAX_PIECES = 8


@dataclass
class Boxes:
    """Precision boxes [q0, q1] per cell (rows sorted by cell).

    ``active`` rows are solved; the others were set aside as unable to matter and are
    checked in the final step.
    """

    cell: IntArray
    q0: FloatArray
    q1: FloatArray
    active: np.ndarray
    #: rank (0 = best) of the active boxes worth splitting (optimistic value in the top HOT
    #: of the cell's gap, at most HOT_MAX per cell); −1 for the others.
    hot: np.ndarray | None = None

    @classmethod
    def initial(cls, cells: Cells, params: Params) -> Boxes:
        """The first boxes of every cell: uniform in log-odds from q_min to 1."""
        start = float(np.log(params.q_min / (1.0 - params.q_min)))
        lam = np.arange(start, LAMBDA_MAX, BOX_STEP0)
        edges = np.unique(np.concatenate([1.0 / (1.0 + np.exp(-lam)),
                                          [params.q_min, params.p, 1.0]]))
        edges = edges[edges >= params.q_min]
        q0 = np.concatenate([edges[:-1], [params.p, 1.0]])
        q1 = np.concatenate([edges[1:], [params.p, 1.0]])
        inner = np.flatnonzero((np.arange(cells.size) > 0) & (np.arange(cells.size)
                                                              < cells.size - 1))
        cell = np.repeat(inner, q0.size)
        return cls(cell, np.tile(q0, inner.size), np.tile(q1, inner.size),
                   np.ones(cell.size, bool))

    def take(self, idx: np.ndarray) -> Boxes:
        """The boxes at rows ``idx``."""
        return Boxes(self.cell[idx], self.q0[idx], self.q1[idx], self.active[idx],
                     None if self.hot is None else self.hot[idx])


@dataclass
class Bounds:
    """Certified bounds on one cell partition (what :func:`certify` returns)."""

    params: Params
    cells: Cells
    lower: FloatArray
    upper: FloatArray
    form: IntArray
    const: FloatArray
    margin: FloatArray
    tol: float
    stats: dict[str, float] = field(default_factory=dict)
    #: finite horizon: per stage (row 0 = first agent) the policy's form, constant, margin.
    stage_form: IntArray | None = None
    stage_const: FloatArray | None = None
    stage_margin: FloatArray | None = None
    #: the final precision boxes (infinite horizon), for certified regimes.
    boxes: Boxes | None = None

    @property
    def max_gap(self) -> float:
        """Max over cells of upper − lower (bounds the gap at every belief)."""
        return float(np.max(self.upper - self.lower))

    def at(self, b: ArrayLike) -> tuple[FloatArray, FloatArray]:
        """(lower, upper) at beliefs b ∈ [0, 1] (those of the cell that holds each b)."""
        b = _beliefs(b)
        j = self.cells.owner(b)
        return self.lower[j], self.upper[j]

    def policy(self, b: ArrayLike, stage: int = 0) -> FloatArray:
        """The certified policy's precision at b (a real number, never a limit).

        For a finite horizon, at agent ``stage`` + 1. Played from b, its expected value is at
        least lower(b).
        """
        b = _beliefs(b)
        j = self.cells.owner(b)
        if self.stage_form is not None and self.stage_const is not None \
                and self.stage_margin is not None:
            if not 0 <= stage < self.stage_form.shape[0]:
                raise ParameterError(
                    f"stage must be in [0, {self.stage_form.shape[0] - 1}], got {stage}")
            form, const = self.stage_form[stage][j], self.stage_const[stage][j]
            margin = self.stage_margin[stage][j]
        else:
            form, const, margin = self.form[j], self.const[j], self.margin[j]
        return policy_q(self.params, form, const, margin, b)


class BoundsNotReached(ConvergenceError):
    """The tolerance was not reached.

    ``bounds`` holds the valid (wider) bounds reached, for an infinite horizon, else None.
    """

    def __init__(self, bounds: Bounds | None, message: str) -> None:
        super().__init__(message)
        self.bounds = bounds


def _beliefs(b: ArrayLike) -> FloatArray:
    arr = np.asarray(b, dtype=np.float64)
    if not np.all((arr >= 0.0) & (arr <= 1.0)):
        raise ParameterError(f"beliefs must be in [0, 1], got {b!r}")
    return arr


def default_tol(params: Params) -> float:
    """0.1% of the largest possible total loss: 1e-3 · C · Σ δ^t over the horizon."""
    n, d = params.horizon, params.delta
    total = (n if d == 1.0 else (1 - d**n) / (1 - d)) if n is not None else 1 / (1 - d)
    return 1e-3 * params.C * total


def certify(params: Params, tol: float = DEFAULT_TOL, max_seconds: float = DEFAULT_SECONDS,
            max_cells: int = 2_000_000) -> Bounds:
    """Refine until max(upper − lower) ≤ tol.

    Raises:
        ParameterError: for tol ≤ 0.
        ConvergenceError: when the time or cell budget runs out first (names the gap).
    """
    if isinstance(tol, bool) or not (isinstance(tol, int | float) and np.isfinite(tol)
                                      and tol > 0):
        raise ParameterError(f"tol must be a number > 0, got {tol!r}")
    start = time.perf_counter()
    cells = Cells.initial(params.p, extra=_edges(params))
    boxes = Boxes.initial(cells, params)
    up, lo = _trivial(params, cells)
    hint = np.full((cells.size, len(HINT_FRACS)), params.p)
    levels = 0
    while True:
        levels += 1
        up, lo, boxes, hint, pol = _solve_level(params, cells, boxes, up, lo, hint)
        gap = up - lo
        worst = float(gap.max())
        if worst <= tol and params.horizon is None:
            up = _final_upper(params, cells, boxes, up, lo)
            gap = up - lo
            worst = float(gap.max())
        seconds = time.perf_counter() - start
        stats = {"seconds": seconds, "levels": levels, "cells": cells.size,
                 "boxes": int(boxes.cell.size), "active_boxes": int(boxes.active.sum())}
        if worst <= tol:
            form, const, margin = pol
            if params.horizon is not None:
                return Bounds(params, cells, lo, up, form[0], const[0], margin[0], tol=tol,
                              stats=stats, stage_form=form, stage_const=const,
                              stage_margin=margin)
            return Bounds(params, cells, lo, up, form, const, margin, tol=tol, stats=stats,
                          boxes=boxes)
        if seconds > max_seconds or cells.size > max_cells or boxes.cell.size > MAX_BOXES:
            if params.horizon is None:  # the bounds reached, certified over all boxes
                up = _final_upper(params, cells, boxes, up, lo)
                worst = float((up - lo).max())
            form, const, margin = pol
            partial = Bounds(params, cells, lo, up, form, const, margin, tol=tol, stats=stats,
                             boxes=boxes) if params.horizon is None else None
            raise BoundsNotReached(partial,
                f"certified bounds reached max gap {worst:.3g} > tol={tol:g} after {seconds:.0f} s"
                f" and {cells.size} cells, {boxes.cell.size} boxes; raise the time limit or the"
                " tolerance")
        cells, parent, boxes = _refine(params, cells, boxes, gap > tol / 2, tol)
        up, lo, hint = up[parent], lo[parent], hint[parent]


def _trivial(params: Params, cells: Cells) -> tuple[FloatArray, FloatArray]:
    """0 ≥ V* (rewards ≤ 0) and always-p's guarantee (loss ≤ 1/2 or 1 per agent)."""
    worst = params.C * (0.5 if params.planner == "altruistic" else 1.0)
    n = params.horizon
    total = (n if params.delta == 1.0 else (1 - params.delta**n) / (1 - params.delta)) \
        if n is not None else 1.0 / (1.0 - params.delta)
    return np.zeros(cells.size), np.full(cells.size, -worst * total)


def _solve_level(params: Params, cells: Cells, boxes: Boxes, up: FloatArray, lo: FloatArray,
                 hint: FloatArray
                 ) -> tuple[FloatArray, FloatArray, Boxes, FloatArray, Policy]:
    """One refinement level on the active boxes.

    The upper bound here is not yet final: :func:`_final_upper` adds the boxes set aside.
    """
    n, delta = cells.size, params.delta
    casc = cascade_options(cells, params)
    if params.horizon is not None:
        up, lo, pol = _finite(params, cells, boxes, casc)
        return up, lo, boxes, hint, pol
    act_idx = np.flatnonzero(boxes.active)
    act_box = box_options(cells, params, boxes.cell[act_idx], boxes.q0[act_idx],
                          boxes.q1[act_idx])
    # Set aside boxes that cannot beat the cell's lower bound against the current upper one.
    val, *_ = ops.evaluate(act_box, up, delta, "max")
    keep = val >= lo[act_box.cell] - ops.fp_margin(up, delta)
    boxes.active[act_idx[~keep]] = False
    act, order = ops.sort_by_cell(Options.concat([act_box.take(keep), casc]))
    mid = np.concatenate([_box_points(boxes)[act_idx[keep]],
                          np.full((casc.size, len(HINT_FRACS)), np.nan)])[order]
    boxes = _merge_inactive(params, cells, boxes, up, lo)
    w, arg, _ = ops.fixed_point(act, n, delta, "max", up)
    new_up, _ = ops.certify_step(act, w, n, delta, "max")
    new_up = np.minimum(new_up, 0.0)  # every reward is ≤ 0
    hint = np.where(np.isnan(mid[arg]), hint, mid[arg])
    new_lo, pol = _lower(params, cells, hint, lo)
    boxes.hot = _hot(params, cells, boxes, new_up, new_lo)
    return new_up, new_lo, boxes, hint, pol


def _hot(params: Params, cells: Cells, boxes: Boxes, up: FloatArray, lo: FloatArray
         ) -> np.ndarray:
    """Active boxes whose optimistic value is in the top HOT fraction of the cell's gap.

    At most HOT_MAX per cell (those of highest value): without a cap, a tiny cell next to a
    cusp would have every box over a flat stretch of q halved down to its own width.
    """
    hot = np.full(boxes.cell.size, -1, dtype=np.int64)
    idx = np.flatnonzero(boxes.active)
    if not cusp_cost(params):  # every active box may be halved
        hot[idx] = 1
        return hot
    opts = box_options(cells, params, boxes.cell[idx], boxes.q0[idx], boxes.q1[idx])
    val, *_ = ops.evaluate(opts, up, params.delta, "max")
    c = opts.cell
    ok = val >= lo[c] + HOT * (up[c] - lo[c])
    # at most HOT_MAX per cell, the best first
    order = np.lexsort((-val, c))
    cs = c[order]
    first = np.r_[True, cs[1:] != cs[:-1]]
    start = np.maximum.accumulate(np.where(first, np.arange(cs.size), 0))
    rank = np.empty(cs.size, dtype=np.int64)
    rank[order] = np.arange(cs.size) - start
    hot[idx] = np.where(ok & (rank < HOT_MAX), rank, -1)
    return hot


def _final_upper(params: Params, cells: Cells, boxes: Boxes, up: FloatArray, lo: FloatArray
                 ) -> FloatArray:
    """The certified upper bound.

    The certificate step over *all* boxes (set-aside ones included) from the active fixed
    point ``up``; boxes that turn out to matter are made active again for further
    refinement.
    """
    n, delta = cells.size, params.delta
    allb = box_options(cells, params, boxes.cell, boxes.q0, boxes.q1)
    full, _ = ops.sort_by_cell(Options.concat([allb, cascade_options(cells, params)]))
    val, *_ = ops.evaluate(allb, up, delta, "max")
    boxes.active |= val >= lo[boxes.cell] - ops.fp_margin(up, delta)
    return np.minimum(ops.certify_step(full, up, n, delta, "max")[0], 0.0)


def _margins(cells: Cells) -> FloatArray:
    """The margin m of the forms ABOVE and BELOW on each cell."""
    return np.clip((cells.hi - cells.lo) / 8.0, 8e-15, 1e-9)


def _box_points(boxes: Boxes) -> FloatArray:
    """Points q0 + f·(q1 − q0), f in HINT_FRACS, of every box (rows: boxes)."""
    f = np.asarray(HINT_FRACS)
    pts: FloatArray = boxes.q0[:, None] + f[None, :] * (boxes.q1 - boxes.q0)[:, None]
    return pts


def _candidates(params: Params, cells: Cells, hint: FloatArray
                ) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
    """Candidate policies per cell: (cell, form, constant, margin), sorted by cell.

    ``hint`` (cells × len(HINT_FRACS)): points of the upper bound's best box, tried as constants.
    """
    n = cells.size
    m = _margins(cells)
    idx = np.arange(n)
    consts = [np.full(n, params.p), np.ones(n)]
    consts += [np.clip(h, params.q_min, 1.0) for h in hint.T]
    if params.q_min != params.p:
        consts.append(np.full(n, params.q_min))
    cell = [idx] * len(consts)
    form = [np.full(n, CONST)] * len(consts)
    margins = [m] * len(consts)
    for f in (ABOVE, TIE, BELOW, TARGET):
        ok = form_available(cells, params, f, m)
        if f == TARGET and params.planner != "biased":
            ok[:] = False
        cell.append(idx[ok])
        form.append(np.full(int(ok.sum()), f))
        consts.append(np.full(int(ok.sum()), params.p if f == TARGET else np.nan))
        margins.append(np.full(n, TARGET_M) if f == TARGET else m)
    margins = [mm[cc] for mm, cc in zip(margins, cell, strict=True)]
    c_cell, c_form, c_const = np.concatenate(cell), np.concatenate(form), np.concatenate(consts)
    c_m = np.concatenate(margins)
    order = np.argsort(c_cell, kind="stable")
    return c_cell[order], c_form[order], c_const[order], c_m[order]


def _pieces(params: Params, cells: Cells, c_cell: IntArray, c_form: IntArray,
            c_const: FloatArray, c_m: FloatArray) -> tuple[Options, IntArray]:
    """Pessimistic options of every candidate, sorted by candidate id."""
    parts, ids = [], []
    cand = np.arange(c_cell.size)
    for f in (CONST, ABOVE, TIE, BELOW, TARGET):
        sel = c_form == f
        if sel.any():
            o, i = policy_options(cells, params, cand[sel], c_cell[sel], f, c_const[sel],
                                  c_m[sel])
            parts.append(o)
            ids.append(i)
    pieces, cid = Options.concat(parts), np.concatenate(ids)
    order = np.argsort(cid, kind="stable")
    return pieces.take(order), cid[order]


def _choose(pieces: Options, cid: IntArray, c_cell: IntArray, w: FloatArray, delta: float
            ) -> IntArray:
    """The candidate with the best pessimistic one-step value against W, per cell."""
    val, *_ = ops.evaluate(pieces, w, delta, "min")
    cand_val, _ = ops.group_best(val, cid, c_cell.size, "min")
    _, best = ops.group_best(cand_val, c_cell, w.size, "max")
    return best


def _lower(params: Params, cells: Cells, hint: FloatArray, lo: FloatArray
           ) -> tuple[FloatArray, tuple[IntArray, FloatArray, FloatArray]]:
    """Choose a playable policy per cell and certify its pessimistic value."""
    n, delta = cells.size, params.delta
    c_cell, c_form, c_const, c_m = _candidates(params, cells, hint)
    pieces, cid = _pieces(params, cells, c_cell, c_form, c_const, c_m)
    w = lo
    chosen = _choose(pieces, cid, c_cell, w, delta)
    for _ in range(4):
        sel = np.isin(cid, chosen)
        mine = pieces.take(sel)
        mine = Options(c_cell[cid[sel]], *(getattr(mine, f) for f in
                                            ("r", "plo", "phi", "gl", "gh", "bl", "bh")))
        mine, _ = ops.sort_by_cell(mine)
        w, _, _ = ops.fixed_point(mine, n, delta, "min", w)
        again = _choose(pieces, cid, c_cell, w, delta)
        if np.array_equal(again, chosen):
            break
        chosen = again
    new_lo, _ = ops.certify_step(mine, w, n, delta, "min")
    return new_lo, (c_form[chosen], c_const[chosen], c_m[chosen])


def _finite(params: Params, cells: Cells, boxes: Boxes, casc: Options
            ) -> tuple[FloatArray, FloatArray, Policy]:
    """Backward induction on the bound operators, V₀ = 0 (row 0 of the policy: agent 1).

    Every box stays in the operator; boxes that beat the lower bound at no stage are marked
    inactive, so that refinement does not split them.
    """
    n, delta, horizon = cells.size, params.delta, int(params.horizon or 0)
    nbox = boxes.cell.size
    allb = box_options(cells, params, boxes.cell, boxes.q0, boxes.q1)
    full, order = ops.sort_by_cell(Options.concat([allb, casc]))
    mid = np.concatenate([_box_points(boxes),
                          np.full((casc.size, len(HINT_FRACS)), np.nan)])[order]
    row_box = np.concatenate([np.arange(nbox), np.full(casc.size, -1)])[order]
    relevance = np.full(nbox, -np.inf)
    up, lo = np.zeros(n), np.zeros(n)
    forms, consts, margins = [], [], []
    for _ in range(horizon):
        slack = 1e-13 * (1.0 + float(np.abs(up).max()) + float(np.abs(lo).max()))
        val, *_ = ops.evaluate(full, up, delta, "max")
        best, arg = ops.group_best(val, full.cell, n, "max")
        hint = np.where(np.isnan(mid[arg]), params.p, mid[arg])
        c_cell, c_form, c_const, c_m = _candidates(params, cells, hint)
        pieces, cid = _pieces(params, cells, c_cell, c_form, c_const, c_m)
        pval, *_ = ops.evaluate(pieces, lo, delta, "min")
        cand_val, _ = ops.group_best(pval, cid, c_cell.size, "min")
        best_lo, pick = ops.group_best(cand_val, c_cell, n, "max")
        up, lo = np.minimum(best + slack, 0.0), best_lo - slack
        isbox = row_box >= 0
        np.maximum.at(relevance, row_box[isbox], val[isbox] - lo[full.cell[isbox]])
        forms.append(c_form[pick])
        consts.append(c_const[pick])
        margins.append(c_m[pick])
    boxes.active = relevance >= -ops.fp_margin(up, 0.0)
    pol = (np.array(forms[::-1]), np.array(consts[::-1]), np.array(margins[::-1]))
    return up, lo, pol


def cusp_cost(params: Params) -> bool:
    """True if β is markedly concave at 0 (2β(x/2) > 1.1·β(x) at x = 1e-6: a cusp at q = p).

    Then V* has cusps where successors land on p, and the refinement works toward them
    (geometric cells and boxes, and box splits focused on each cell's best boxes); for a
    linear or nearly linear cost it halves cells and boxes uniformly.
    """
    x = 1e-6
    bx, bh = float(np.asarray(params.cost(x))), float(np.asarray(params.cost(x / 2)))
    return bx > 0 and 2.0 * bh > 1.1 * bx


def _edges(params: Params) -> tuple[float, ...]:
    """Initial cell edges besides 1 − p and p: b* for the biased planner."""
    return (target_turn(params.p),) if params.planner == "biased" else ()


def _cusps(params: Params) -> tuple[float, ...]:
    """Beliefs where V* may have an infinite slope, refined toward geometrically.

    1 − p, 1/2 and p (the cusp of β at q = p, and the cascade edges), and for the biased
    planner b* (:func:`~steerherd.dp.bounds.boxes.target_turn`), where the precision that
    lands the G-successor on p meets b and the B-successor reaches 1/2.
    """
    p = params.p
    return (1.0 - p, HALF, p, *_edges(params))


def _refine(params: Params, cells: Cells, boxes: Boxes, split: np.ndarray, tol: float
            ) -> tuple[Cells, IntArray, Boxes]:
    """Split the marked cells (geometrically toward the cusps 1 − p, 1/2, p; else halved).

    Children inherit their parent's boxes. Active boxes of split cells wider (in log-odds)
    than their cell are halved, except boxes with an end at p (the cusp of the cost), which
    are cut geometrically toward p like cells next to a cusp (while β(width) > tol/16).
    """
    p = params.p
    new, parent = cells.split(split, cusps=_cusps(params) if cusp_cost(params) else ())
    counts = np.bincount(boxes.cell, minlength=cells.size)
    start = np.cumsum(counts) - counts
    k = counts[parent]
    owner = np.repeat(np.arange(new.size), k)
    offset = np.arange(int(k.sum())) - np.repeat(np.cumsum(k) - k, k)
    kids = boxes.take(start[parent][owner] + offset)
    kids.cell = owner
    with np.errstate(invalid="ignore"):
        width_x = logit(new.hi) - logit(new.lo)
    lam0, lam1 = logit(kids.q0), logit(kids.q1)
    at_p = (kids.q0 == p) | (kids.q1 == p)
    with np.errstate(invalid="ignore", divide="ignore"):
        rank = np.ones(kids.cell.size, np.int64) if kids.hot is None else kids.hot
        cand = kids.active & (rank >= 0) & (kids.q1 > kids.q0) & split[parent][kids.cell]
        ratio = (lam1 - lam0) / width_x[kids.cell]
    # cut toward p while the cost across the box still matters and is markedly concave
    # there (a cusp, as for k·x^α with α < 0.86; a linear cost is halved like the others)
    width = kids.q1 - kids.q0
    beta_w = np.asarray(params.cost(width))
    geo = cand & at_p & (width > GEO_MIN_WIDTH) & (beta_w > tol / 16) \
        & (2.0 * np.asarray(params.cost(width / 2)) > 1.1 * beta_w)
    with np.errstate(invalid="ignore", divide="ignore"):
        wide = cand & ~geo & (ratio > 1.0)
        # pieces: halves; the cell's best box: the power of 2 that brings it to its cell's
        # width, at most MAX_PIECES
        most = np.where(rank == 0, MAX_PIECES, 2)
        npc = np.where(wide, np.minimum(2.0 ** np.ceil(np.log2(np.where(wide, ratio, 1.0))),
                                        most), 1.0).astype(np.int64)
    lam1f = np.where(np.isinf(lam1), lam0 + 2.0, lam1)
    pieces = _uniform_pieces(kids.take(wide), lam0[wide], lam1f[wide], npc[wide])
    parts = [kids.take(~wide & ~geo), pieces]
    if geo.any():
        parts.append(_geometric_boxes(kids.take(geo), p))
    return new, parent, _concat_boxes(parts)


def _uniform_pieces(b: Boxes, lam0: FloatArray, lam1: FloatArray, n: IntArray) -> Boxes:
    """Cut box i into n[i] pieces uniform in log-odds on [lam0, lam1] (its ends kept exact).

    An infinite upper end (q1 = 1) is cut as if lam1 = lam0 + 2; the last piece keeps q1.
    """
    row = np.repeat(np.arange(n.size), n)
    k = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
    frac = k / n[row]
    inner = 1.0 / (1.0 + np.exp(-(lam0[row] + frac * (lam1[row] - lam0[row]))))
    # edges e_0 = q0 ≤ e_1 ≤ … ≤ e_n = q1 (clipped, so rounding cannot leave the box)
    q0 = np.where(k == 0, b.q0[row], np.clip(inner, b.q0[row], b.q1[row]))
    last = k == n[row] - 1
    q1 = np.where(last, b.q1[row], np.r_[q0[1:], 0.0])
    out = Boxes(b.cell[row], q0, q1, np.ones(row.size, bool))
    # pieces that rounding made empty are dropped: consecutive pieces share their edges, so
    # the union is still [q0, q1]
    return out.take(out.q1 > out.q0)


def _geometric_boxes(b: Boxes, p: float) -> Boxes:
    """Cut boxes with an end at p at distances w/2, …, w/2^GEO_PIECES from p (w: width)."""
    frac = 0.5 ** np.arange(0, GEO_PIECES + 1)  # 1, 1/2, …: edges at p ± w·frac, and p
    w = b.q1 - b.q0
    sign = np.where(b.q0 == p, 1.0, -1.0)
    edges = p + sign[:, None] * w[:, None] * frac[None, :]
    edges[:, 0] = np.where(b.q0 == p, b.q1, b.q0)  # the far end exactly
    edges = np.concatenate([edges, np.full((w.size, 1), p)], axis=1)
    edges = np.sort(edges, axis=1)
    n = GEO_PIECES + 1
    out = Boxes(np.repeat(b.cell, n), edges[:, :-1].ravel(), edges[:, 1:].ravel(),
                np.ones(w.size * n, bool))
    return out.take(out.q1 > out.q0)


def _concat_boxes(parts: list[Boxes]) -> Boxes:
    b = Boxes(*(np.concatenate([getattr(p, f) for p in parts])
                for f in ("cell", "q0", "q1", "active")))
    if all(p.hot is not None for p in parts):
        b.hot = np.concatenate([p.hot for p in parts if p.hot is not None])
    return b.take(np.lexsort((b.q1, b.q0, b.cell)))


def _merge_inactive(params: Params, cells: Cells, boxes: Boxes, up: FloatArray,
                    lo: FloatArray, rounds: int = 2) -> Boxes:
    """Merge neighbouring set-aside boxes of a cell where the merged box cannot matter.

    A merged box must still not beat the cell's lower bound. This is a heuristic for speed:
    every box, merged or not, is in the final certificate step.
    """
    margin = ops.fp_margin(up, params.delta)
    for r in range(rounds):
        b = boxes
        i = np.flatnonzero(~b.active[:-1] & ~b.active[1:] & (b.cell[:-1] == b.cell[1:])
                           & (b.q0[1:] <= b.q1[:-1]))
        i = i[i % 2 == r % 2]  # disjoint pairs (i, i + 1)
        if i.size == 0:
            break
        q1 = np.maximum(b.q1[i], b.q1[i + 1])
        val, *_ = ops.evaluate(box_options(cells, params, b.cell[i], b.q0[i], q1), up,
                               params.delta, "max")
        ok = val < lo[b.cell[i]] - margin
        b.q1[i[ok]] = q1[ok]
        keep = np.ones(b.cell.size, bool)
        keep[i[ok] + 1] = False
        boxes = b.take(keep)
    return boxes
