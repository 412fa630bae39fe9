r"""Refinement of the certified bounds' partitions: precision boxes, and how to split.

Precision boxes per cell, and how cells and boxes are split between levels (used by
:mod:`steerherd.dp.bounds.certify`).

Nothing here affects soundness: cells always partition [0, 1] and each cell's boxes always
cover [q_min, 1], which is all the bound operators use (docs/theory.md, "Certified bounds",
step 5). What is chosen here is only *where* to refine:

* cells with gap > tol/2 are halved in log-likelihood ratio; when β has a cusp at 0
  (:func:`cusp_cost`), a cell with an end at 1 − p, 1/2, p or b* is cut geometrically toward
  that end (:func:`cusps`), where V* has an infinite slope;
* boxes of split cells wider (in log-odds) than their cell are halved, boxes with an end at
  p are cut geometrically toward p (the cusp of β), and with a cusp cost only the best boxes
  of each cell are split (:func:`hot_ranks`), the best into up to MAX_PIECES pieces;
* boxes that cannot beat their cell's lower bound are set aside and merged
  (:func:`merge_inactive`); the final certificate step still uses every box.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from steerherd.dp.bounds import ops
from steerherd.dp.bounds.boxes import box_options, target_turn
from steerherd.dp.bounds.cells import GEO_PIECES, HALF, Cells, logit, sorted_unique
from steerherd.model import Params
from steerherd.types import FloatArray, IntArray

#: Initial boxes per cell: uniform in log-odds λ = log(q/(1−q)) up to LAMBDA_MAX, then [.., 1].
LAMBDA_MAX = 36.0
BOX_STEP0 = 1.0
#: Boxes with an end at p narrower than this are no longer cut toward p.
GEO_MIN_WIDTH = 1e-15
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
        edges = sorted_unique(np.concatenate([1.0 / (1.0 + np.exp(-lam)),
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


def hot_ranks(params: Params, cells: Cells, boxes: Boxes, up: FloatArray, lo: FloatArray
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


def cusp_cost(params: Params) -> bool:
    """True if β is markedly concave at 0 (2β(x/2) > 1.1·β(x) at x = 1e-6: a cusp at q = p).

    Then V* has cusps where successors land on p, and the refinement works toward them
    (geometric cells and boxes, and box splits focused on each cell's best boxes); for a
    linear or nearly linear cost it halves cells and boxes uniformly.
    """
    x = 1e-6
    bx, bh = float(np.asarray(params.cost(x))), float(np.asarray(params.cost(x / 2)))
    return bx > 0 and 2.0 * bh > 1.1 * bx


def initial_edges(params: Params) -> tuple[float, ...]:
    """Initial cell edges besides 1 − p and p: b* for the biased planner."""
    return (target_turn(params.p),) if params.planner == "biased" else ()


def cusps(params: Params) -> tuple[float, ...]:
    """Beliefs where V* may have an infinite slope, refined toward geometrically.

    1 − p, 1/2 and p (the cusp of β at q = p, and the cascade edges), and for the biased
    planner b* (:func:`~steerherd.dp.bounds.boxes.target_turn`), where the precision that
    lands the G-successor on p meets b and the B-successor reaches 1/2.
    """
    p = params.p
    return (1.0 - p, HALF, p, *initial_edges(params))


def refine(params: Params, cells: Cells, boxes: Boxes, split: np.ndarray, tol: float
            ) -> tuple[Cells, IntArray, Boxes]:
    """Split the marked cells (geometrically toward the cusps 1 − p, 1/2, p; else halved).

    Children inherit their parent's boxes. Active boxes of split cells wider (in log-odds)
    than their cell are halved, except boxes with an end at p (the cusp of the cost), which
    are cut geometrically toward p like cells next to a cusp (while β(width) > tol/16).
    """
    p = params.p
    new, parent = cells.split(split, cusps=cusps(params) if cusp_cost(params) else ())
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


def merge_inactive(params: Params, cells: Cells, boxes: Boxes, up: FloatArray,
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
