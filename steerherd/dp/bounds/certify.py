r"""Certified bounds on the continuous-belief problem: lower(b) ≤ V*(b) ≤ upper(b) for all b.

The construction (proof sketch in docs/theory.md, "Certified bounds"):

* **Cells** partition [0, 1] (:class:`~steerherd.dp.bounds.cells.Cells`): {0}, {1/2}, {1} and
  intervals, refined where the gap is largest. Bounds are constant on each cell.
* **Upper bound.** Precisions are covered by boxes per cell; each box's optimistic option
  (:func:`~steerherd.dp.bounds.boxes.box_options`) bounds r + δ E[U(successor)] over the box from
  above, and the two cascades are exact self-loops. The box operator T̄ then satisfies
  T Ũ ≤ (T̄ U)~ for the true Bellman operator T, so a supersolution of T̄ is ≥ V*.
* **Lower bound.** A playable policy, one form per cell (:mod:`steerherd.dp.bounds.boxes`: a
  constant, ``1 − b + m``, ``b``, ``min(p, b − m)`` or the precision that lands the
  G-successor just above p), is evaluated pessimistically (nature picks the worst successor
  cell and the worst P); a subsolution of that operator is ≤ the policy's own value
  V_σ ≤ V*.
* Both are solved by policy iteration and closed by the MacQueen–Porteus step with a
  rounding allowance (:mod:`steerherd.dp.bounds.ops`). Cells whose gap exceeds tol/2 are
  split and boxes refined (:mod:`steerherd.dp.bounds.refine`: halving, and geometric cuts
  toward the cusps of V* and of β when β has one); boxes that cannot beat the cell's lower
  bound are set aside (they stay in the final certificate step, so the bound never depends
  on that guess).
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
    TIE,
    Options,
    box_options,
    cascade_options,
    form_available,
    policy_options,
    policy_q,
    target_margin,
)
from steerherd.dp.bounds.cells import Cells
from steerherd.dp.bounds.refine import (
    Boxes,
    hot_ranks,
    initial_edges,
    merge_inactive,
    refine,
)
from steerherd.errors import ConvergenceError, ParameterError
from steerherd.model import Params
from steerherd.types import ArrayLike, FloatArray, IntArray

#: A policy per cell (or per stage × cell): form code, constant, margin m.
Policy = tuple[IntArray, FloatArray, FloatArray]
#: Default tolerance on max(upper − lower) when none is given.
DEFAULT_TOL = 1e-2
#: Default wall-clock limit of a refinement, in seconds.
DEFAULT_SECONDS = 120.0
#: The lower bound tries constants at these fractions of the upper bound's best box.
HINT_FRACS = (0.0, 0.25, 0.5, 0.75, 1.0)
#: Memory guard: refinement stops (ConvergenceError) beyond this many precision boxes.
MAX_BOXES = 12_000_000
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
    cells = Cells.initial(params.p, extra=initial_edges(params))
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
        cells, parent, boxes = refine(params, cells, boxes, gap > tol / 2, tol)
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
    rowbox = np.concatenate([act_idx[keep], np.full(casc.size, -1)])[order]
    w, arg, _ = ops.fixed_point(act, n, delta, "max", up)
    new_up, _ = ops.certify_step(act, w, n, delta, "max")
    new_up = np.minimum(new_up, 0.0)  # every reward is ≤ 0
    pick = rowbox[arg]  # the best option's box per cell (−1: a cascade)
    hint = np.where((pick >= 0)[:, None], _box_points(boxes.take(np.maximum(pick, 0))), hint)
    boxes = merge_inactive(params, cells, boxes, up, lo)
    new_lo, pol = _lower(params, cells, hint, lo)
    boxes.hot = hot_ranks(params, cells, boxes, new_up, new_lo)
    return new_up, new_lo, boxes, hint, pol


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
        margins.append(target_margin(cells) if f == TARGET else m)
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
        mask = np.zeros(c_cell.size, bool)
        mask[chosen] = True
        sel = mask[cid]
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


