r"""Options of the certified bounds: optimistic boxes and pessimistic playable policies.

An *option* is one row of the bound operators of :mod:`steerherd.dp.bounds.certify`: a cell ``j``,
a reward bound ``r`` (a supremum for the upper bound, an infimum for the lower), a range
``[plo, phi]`` holding P(signal = G), and two ranges of cells, ``gl..gh`` and ``bl..bh``,
whose closures hold the G- and B-successors. A cascade keeps the belief where it is, so its
successor ranges are ``[j, j]``. Its value against bounds W on the cells is

    r + δ · opt over P ∈ {plo, phi} of [P · opt W(gl..gh) + (1 − P) · opt W(bl..bh)],

with opt = max (upper) or min (lower). Every quantity is bounded over the closure of the
cell (and of the precision box), with outward rounding: see :mod:`steerherd.dp.bounds.cells`.

Playable policy forms (the lower bound), each a real precision at every belief:

=========  ====================================  =========================================
form       precision q(b)                        where
=========  ====================================  =========================================
CONST      a constant c                          any cell (each regime it meets is bounded)
ABOVE      fl(1 − b) + m                         b < 1/2: the signal just informative, the
                                                 G-successor just above 1/2
TIE        b                                     b ≥ 1/2: informative, B-successor = 1/2
BELOW      max(q_min, min(p, fl(b − m)))         b > 1/2: a G cascade at (almost) no cost
TARGET     t(1−b)/(b(1−t) + t(1−b)) + m          1e-4 ≤ b < 1/2, or 1/2 < b ≤ b* (where
                                                 the target precision exceeds b): the
                                                 G-successor lands just above t (= p for the
                                                 biased planner: onto the free G cascade
                                                 past the cusp of β)
=========  ====================================  =========================================
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from steerherd.dp.bounds.cells import HALF, Cells, down, post_bad, post_good, side_of, up
from steerherd.model import Params
from steerherd.types import FloatArray, IntArray

CONST, ABOVE, TIE, BELOW, TARGET = 0, 1, 2, 3, 4
FORM_NAMES = ("const", "above", "tie", "below", "target")
#: TARGET is offered only on cells inside [TARGET_MIN_B, 1/2] (see :func:`_target`) or
#: (1/2, b*] (and where its precision stays ≤ 1).
TARGET_MIN_B = 1e-4
def target_turn(t: float) -> float:
    """b* = √t/(√t + √(1 − t)): the belief above 1/2 whose target precision equals b*.

    Below it the precision that sends the G-successor onto t exceeds b (the signal is
    informative and the B-successor falls below 1/2); V* has a cusp there.
    """
    return float(np.sqrt(t) / (np.sqrt(t) + np.sqrt(1.0 - t)))


#: TARGET above 1/2 is offered on cells with hi ≤ b* − TARGET_TURN_GAP (so q > b there).
TARGET_TURN_GAP = 1e-13
#: Least margin of the form TARGET (see :func:`target_margin`).
TARGET_M = 1e-11


def target_margin(cells: Cells) -> FloatArray:
    """The margin m of TARGET per cell: max(TARGET_M, 1e-13 / min over the cell of b(1 − b)).

    Its G-successor then exceeds the target by ≥ (m − 1e-15)·b(1 − b) ≥ 9.9e-14.
    """
    w = np.minimum(cells.lo * (1.0 - cells.lo), cells.hi * (1.0 - cells.hi))
    with np.errstate(divide="ignore"):
        m: FloatArray = np.where(w > 0, np.maximum(TARGET_M, 1e-13 / np.where(w > 0, w, 1.0)),
                                 TARGET_M)
    return m
#: Bound on |q(b) − (its exact formula)| for the forms ABOVE and BELOW (two roundings).
QERR = 4e-16
#: Absolute widening of a computed probability.
PERR = 1e-15
#: ABOVE is offered only where b ≥ this (so that fl(1 − b) + m ≤ 1 and P stays positive).
ABOVE_MIN_B = 1e-6


@dataclass(frozen=True, eq=False)
class Options:
    """Rows of a bound operator (see the module docstring)."""

    cell: IntArray
    r: FloatArray
    plo: FloatArray
    phi: FloatArray
    gl: IntArray
    gh: IntArray
    bl: IntArray
    bh: IntArray

    @property
    def size(self) -> int:
        """Number of boxes."""
        return int(self.cell.size)

    def take(self, idx: IntArray | np.ndarray) -> Options:
        """The rows ``idx`` (an index array or a boolean mask)."""
        return Options(*(getattr(self, f)[idx] for f in _FIELDS))

    @staticmethod
    def concat(parts: list[Options]) -> Options:
        """Rows of several option sets, in order."""
        return Options(*(np.concatenate([getattr(o, f) for o in parts]) for f in _FIELDS))


_FIELDS = ("cell", "r", "plo", "phi", "gl", "gh", "bl", "bh")


def reward_margin(params: Params) -> float:
    """Absolute allowance for rounding in a computed reward (β and the loss)."""
    return 1e-13 * (1.0 + params.C + float(params.cost(np.array(1.0))))


def _beta(params: Params, dist: FloatArray) -> FloatArray:
    return np.asarray(params.cost(np.maximum(dist, 0.0)), dtype=np.float64)


def _prob_g(b: FloatArray, q: FloatArray) -> FloatArray:
    return b * q + (1.0 - b) * (1.0 - q)


def _loss_biased_inf(b: FloatArray, q: FloatArray) -> FloatArray:
    return b * (1.0 - q) + (1.0 - b) * q


def _ranges(cells: Cells, ylo: FloatArray, slo: IntArray, yhi: FloatArray, shi: IntArray
            ) -> tuple[IntArray, IntArray]:
    lo = cells.first_covering(ylo, slo)
    hi = np.maximum(cells.last_covering(yhi, shi), lo)
    return lo, hi


def _cascade(cell: IntArray, r: FloatArray) -> Options:
    half = np.full(cell.shape, 0.5)
    return Options(cell, r, half, half, cell, cell, cell, cell)


def box_options(cells: Cells, params: Params, cell: IntArray, q0: FloatArray, q1: FloatArray
                ) -> Options:
    """Optimistic options of the informative part of boxes cell × [q0, q1].

    Rows where no (b, q) of the box is informative get r = −inf.
    """
    b0, b1 = cells.lo[cell], cells.hi[cell]
    one_q1, one_q0 = 1.0 - q1, 1.0 - q0  # exact (Sterbenz)
    valid = (b0 <= q1) & (b1 >= one_q1)
    blo, bhi = np.maximum(b0, one_q1), np.minimum(b1, q1)
    # G-successor: least at (blo, least informative q), greatest at (bhi, q1).
    tie_g = blo < one_q0
    qa = np.maximum(q0, blo)
    ylo_g = np.where(tie_g, HALF, down(post_good(blo, qa)))
    slo_g = np.where(tie_g, 0, side_of(blo, 1.0 - qa))
    yhi_g, shi_g = up(post_good(bhi, q1)), side_of(bhi, one_q1)
    # B-successor: least at (blo, q1), greatest at (bhi, least informative q).
    ylo_b, slo_b = down(post_bad(blo, q1)), side_of(blo, q1)
    tie_b = (bhi >= HALF) & (bhi >= q0)
    qb = np.where((bhi < HALF) & (bhi < one_q0), np.nextafter(1.0 - bhi, 0.0), q0)
    yhi_b = np.where(tie_b, HALF, up(post_bad(bhi, qb)))
    shi_b = np.where(tie_b, 0, -1)
    gl, gh = _ranges(cells, ylo_g, slo_g, yhi_g, shi_g)
    bl, bh = _ranges(cells, ylo_b, slo_b, yhi_b, shi_b)
    # Rewards and P(G) over the rectangle [blo, bhi] × [least informative q, q1].
    c = np.clip(HALF, blo, bhi)
    q_least = np.maximum(q0, np.where(c >= HALF, c, np.nextafter(1.0 - c, 0.0)))
    corners = [(blo, q_least), (blo, q1), (bhi, q_least), (bhi, q1)]
    pg = np.array([_prob_g(b, q) for b, q in corners])
    plo = np.clip(pg.min(axis=0) - PERR, 0.0, 1.0)
    phi = np.clip(pg.max(axis=0) + PERR, 0.0, 1.0)
    dist = np.maximum(q_least - params.p, params.p - q1)
    if params.planner == "altruistic":
        loss = one_q1
    else:
        loss = np.array([_loss_biased_inf(b, q) for b, q in corners]).min(axis=0)
    r = -_beta(params, dist) - params.C * loss + reward_margin(params)
    r = np.where(valid, r, -np.inf)
    return Options(cell, r, plo, phi, gl, gh, bl, bh)


def cascade_options(cells: Cells, params: Params) -> Options:
    """Optimistic options of the cascades (both sides) of every cell."""
    idx = np.arange(cells.size)
    b0, b1 = cells.lo, cells.hi
    qm, p, mg = params.q_min, params.p, reward_margin(params)
    alt = params.planner == "altruistic"
    g_ok = b1 > qm  # some b > q ≥ q_min: a G cascade
    r_g = -_beta(params, p - b1) - params.C * ((1.0 - b1) if alt else 0.0) + mg
    b_ok = b0 < 1.0 - qm  # some b < 1 − q: a B cascade
    r_b = -_beta(params, p - np.nextafter(1.0 - b0, 2.0)) - params.C * (b0 if alt else 1.0) + mg
    return Options.concat([_cascade(idx[g_ok], r_g[g_ok]), _cascade(idx[b_ok], r_b[b_ok])])


def policy_q(params: Params, form: IntArray, c: FloatArray, m: FloatArray, b: FloatArray
             ) -> FloatArray:
    """The precision each form plays at belief b (the formulas the bounds assume)."""
    above = (1.0 - b) + m
    below = np.maximum(params.q_min, np.minimum(params.p, b - m))
    with np.errstate(invalid="ignore", divide="ignore"):
        target = c * (1.0 - b) / (b * (1.0 - c) + c * (1.0 - b)) + m
    return np.select([form == ABOVE, form == TIE, form == BELOW, form == TARGET],
                     [above, b, below, target], c)


def form_available(cells: Cells, params: Params, form: int, m: FloatArray) -> np.ndarray:
    """Cells where a form is offered (its bounds below assume these conditions)."""
    b0, b1 = cells.lo, cells.hi
    pos = np.arange(cells.size)
    inner: np.ndarray = (pos > 0) & (pos < cells.size - 1)
    if form == ABOVE:
        ok: np.ndarray = (inner & (b1 <= HALF) & (b0 >= ABOVE_MIN_B) & ~cells.point
                          & ((1.0 - b1) + m >= params.q_min))
    elif form == TIE:
        ok = inner & (b0 >= HALF) & (b0 >= params.q_min)
    elif form == BELOW:
        ok = inner & (b0 >= max(HALF, params.q_min)) & ~cells.point
    elif form == TARGET:
        t, mt = params.p, target_margin(cells)
        with np.errstate(invalid="ignore", divide="ignore"):
            q_top = t * (1.0 - b0) / (b0 * (1.0 - t) + t * (1.0 - b0)) + mt + 2e-15
        below = (b1 <= HALF) & (b0 >= TARGET_MIN_B) & (q_top <= 1.0)
        above = (b0 >= HALF) & (b1 <= target_turn(params.p) - TARGET_TURN_GAP)
        ok = inner & (below | above) & ~cells.point
    else:
        ok = np.ones(cells.size, bool)
    return ok


def policy_options(cells: Cells, params: Params, cand: IntArray, cell: IntArray, form: int,
                   c: FloatArray, m: FloatArray) -> tuple[Options, IntArray]:
    """Pessimistic options (one per regime met) of one form on the given cells.

    Returns:
        The options and, for each, the candidate id ``cand`` it belongs to.
    """
    b0, b1 = cells.lo[cell], cells.hi[cell]
    fn = {CONST: _const, ABOVE: _above, TIE: _tie, BELOW: _below, TARGET: _target}[form]
    parts = fn(cells, params, cell, b0, b1, c, m)
    opts = Options.concat([o for o, _ in parts])
    ids = np.concatenate([cand[sel] for _, sel in parts])
    return opts, ids


def _inf_r(params: Params, dist: FloatArray, loss: FloatArray) -> FloatArray:
    return -_beta(params, dist) - params.C * loss - reward_margin(params)


def _const(cells: Cells, params: Params, cell: IntArray, b0: FloatArray, b1: FloatArray,
           c: FloatArray, m: FloatArray) -> list[tuple[Options, np.ndarray]]:
    alt = params.planner == "altruistic"
    dist = np.abs(c - params.p)
    out = []
    # Cells above 1/2 are open at b0, cells below it open at b1 (see Cells): the regime
    # pieces are those met by the cell itself, not by its closure.
    above_half, below_half = b0 >= HALF, b1 <= HALF
    inf = np.where(above_half & ~cells.point[cell], b0 < c, b0 <= c) \
        & np.where(below_half & ~cells.point[cell], b1 > 1.0 - c, b1 >= 1.0 - c)
    blo, bhi = np.maximum(b0, 1.0 - c), np.minimum(b1, c)
    gl, gh = _ranges(cells, down(post_good(blo, c)), side_of(blo, 1.0 - c),
                     up(post_good(bhi, c)), side_of(bhi, 1.0 - c))
    bl, bh = _ranges(cells, down(post_bad(blo, c)), side_of(blo, c),
                     up(post_bad(bhi, c)), side_of(bhi, c))
    pa, pb = _prob_g(blo, c), _prob_g(bhi, c)
    plo = np.clip(np.minimum(pa, pb) - PERR, 0.0, 1.0)
    phi = np.clip(np.maximum(pa, pb) + PERR, 0.0, 1.0)
    loss = (1.0 - c) if alt else np.maximum(_loss_biased_inf(blo, c), _loss_biased_inf(bhi, c))
    r = _inf_r(params, dist, loss)
    out.append((Options(cell, r, plo, phi, gl, gh, bl, bh).take(inf), inf))
    g = b1 > c
    loss_g = (1.0 - np.maximum(b0, c)) if alt else np.zeros_like(c)
    out.append((_cascade(cell, _inf_r(params, dist, loss_g)).take(g), g))
    bb = b0 < 1.0 - c
    loss_b = np.minimum(b1, 1.0 - c) if alt else np.ones_like(c)
    out.append((_cascade(cell, _inf_r(params, dist, loss_b)).take(bb), bb))
    return out


def _above(cells: Cells, params: Params, cell: IntArray, b0: FloatArray, b1: FloatArray,
           c: FloatArray, m: FloatArray) -> list[tuple[Options, np.ndarray]]:
    # q = 1 − b + m' with m' ∈ [m − QERR, m + QERR]; P(G) = D = 2b(1 − b) + m'(2b − 1),
    # increasing in b and decreasing in m'; the G-successor is 1/2 + m'/(2D), the
    # B-successor b(b − m')/(1 − D), increasing in b and decreasing in m'.
    mlo, mhi = m - QERR, m + QERR

    def d(b: FloatArray, mm: FloatArray) -> FloatArray:
        return 2.0 * b * (1.0 - b) + mm * (2.0 * b - 1.0)

    dmin, dmax = d(b0, mhi) * (1 - 1e-14), d(b1, mlo) * (1 + 1e-14)
    ylo_g = HALF + (mlo / (2.0 * dmax)) * (1 - 1e-14)
    yhi_g = np.minimum(HALF + (mhi / (2.0 * dmin)) * (1 + 1e-14), 1.0)
    one = np.ones(cell.shape, dtype=np.int64)
    gl, gh = _ranges(cells, ylo_g, one, yhi_g, one)
    ylo_b = down(b0 * (b0 - mhi) / (1.0 - d(b0, mhi)))
    yhi_b = up(b1 * (b1 - mlo) / (1.0 - d(b1, mlo)))
    bl, bh = _ranges(cells, ylo_b, -one, yhi_b, -one)
    qa, qb = (1.0 - b1) + m, (1.0 - b0) + m
    dist = np.maximum(np.abs(qa - params.p), np.abs(qb - params.p)) + QERR
    if params.planner == "altruistic":
        loss = b1 - mlo
    else:
        loss = np.maximum(b0**2 + (1 - b0) ** 2 + mhi * (1 - 2 * b0),
                          b1**2 + (1 - b1) ** 2 + mhi * (1 - 2 * b1))
    opts = Options(cell, _inf_r(params, dist, loss), np.clip(dmin - PERR, 0, 1),
                   np.clip(dmax + PERR, 0, 1), gl, gh, bl, bh)
    return [(opts, np.ones(cell.shape, bool))]


def _tie(cells: Cells, params: Params, cell: IntArray, b0: FloatArray, b1: FloatArray,
         c: FloatArray, m: FloatArray) -> list[tuple[Options, np.ndarray]]:
    gl, gh = _ranges(cells, down(post_good(b0, b0)), side_of(b0, 1.0 - b0),
                     up(post_good(b1, b1)), side_of(b1, 1.0 - b1))
    half = np.full(cell.shape, cells.half, dtype=np.int64)
    p0, p1 = b0**2 + (1 - b0) ** 2, b1**2 + (1 - b1) ** 2
    dist = np.maximum(np.abs(b0 - params.p), np.abs(b1 - params.p))
    loss = (1.0 - b0) if params.planner == "altruistic" else 2.0 * b0 * (1.0 - b0)
    opts = Options(cell, _inf_r(params, dist, loss), np.clip(p0 - PERR, 0, 1),
                   np.clip(p1 + PERR, 0, 1), gl, gh, half, half)
    return [(opts, np.ones(cell.shape, bool))]


def _below(cells: Cells, params: Params, cell: IntArray, b0: FloatArray, b1: FloatArray,
           c: FloatArray, m: FloatArray) -> list[tuple[Options, np.ndarray]]:
    dist = np.maximum(0.0, np.minimum(params.p - params.q_min, params.p - b0 + m + QERR))
    loss = (1.0 - b0) if params.planner == "altruistic" else np.zeros_like(b0)
    return [(_cascade(cell, _inf_r(params, dist, loss)), np.ones(cell.shape, bool))]


def _target(cells: Cells, params: Params, cell: IntArray, b0: FloatArray, b1: FloatArray,
            c: FloatArray, m: FloatArray) -> list[tuple[Options, np.ndarray]]:
    # q(b) = q_t(b) + m with b̃_G(b, q_t(b)) = t exactly; q_t decreases in b. The computed
    # q(b) is within 1e-15 of its formula, so q ≥ q_t + m − 1e-15 and the G-successor
    # exceeds t by ≥ (m − 1e-15)·b(1 − b) ≥ 9.9e-14 (db̃_G/dq ≥ b(1 − b), and m ≥ 1e-13 /
    # b(1 − b) on the cell: :func:`target_margin`): it lies above the float after t, hence
    # > 1/2 and past the edge t. The form is offered only where q ≤ 1. Above 1/2 it is
    # offered only where b ≤ b* − 1e-13, so q_T(b) ≥ b − 1e-15 and q > b + 9e-12: the
    # B-successor is below 1/2 (b̃_B < 1/2 iff b < q), as on cells below 1/2.
    t = c
    qa = t * (1.0 - b1) / (b1 * (1.0 - t) + t * (1.0 - b1)) + m - 1e-15  # least q
    qb = t * (1.0 - b0) / (b0 * (1.0 - t) + t * (1.0 - b0)) + m + 1e-15  # greatest q
    qb = np.minimum(qb, 1.0)
    one = np.ones(cell.shape, dtype=np.int64)
    gl, gh = _ranges(cells, np.nextafter(t, 2.0), one, up(post_good(b1, qb)), one)
    bl, bh = _ranges(cells, down(post_bad(b0, qb)), -one, up(post_bad(b1, qa)), -one)
    corners = [(b0, qa), (b0, qb), (b1, qa), (b1, qb)]
    pg = np.array([_prob_g(b, q) for b, q in corners])
    dist = np.maximum(np.abs(qa - params.p), np.abs(qb - params.p))
    if params.planner == "altruistic":
        loss = 1.0 - qa
    else:
        loss = np.array([_loss_biased_inf(b, q) for b, q in corners]).max(axis=0)
    opts = Options(cell, _inf_r(params, dist, loss), np.clip(pg.min(axis=0) - PERR, 0, 1),
                   np.clip(pg.max(axis=0) + PERR, 0, 1), gl, gh, bl, bh)
    return [(opts, np.ones(cell.shape, bool))]
