r"""Cells over the continuous belief and the outward-rounded geometry of their boxes.

Used by :mod:`steerherd.dp.bounds.certify`. The belief interval [0, 1] is partitioned into the
singletons {0}, {1/2}, {1} and intervals: [e_i, e_{i+1}) below 1/2 and (f_i, f_{i+1}] above
it, so that every belief has exactly one *owner* cell and the value's jump at 1/2 (the tie
rule) is a cell of its own. Bounds are computed over each cell's closure [lo, hi], which
contains the cell, so a bound over the closure holds on the cell.

A successor belief is located by an interval of cells whose closures cover it. Which side
of 1/2 a successor lands on is decided exactly, never from a rounded posterior: the
G-posterior exceeds 1/2 iff b > 1 − q, the B-posterior iff b > q, and 1 − q is exact in
floating point for q ∈ [1/2, 1] (Sterbenz). Computed posteriors are widened outward by
:data:`REL` (several ulps), so every range contains the exact successors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from steerherd.types import FloatArray, IntArray


def sorted_unique(a: np.ndarray) -> np.ndarray:
    """``np.unique(a)`` for arrays without NaN.

    ``np.unique`` imports ``numpy.ma`` on first use: ~7 ms of the CLI's answer.
    """
    s = np.sort(np.asarray(a).ravel())
    return s[np.concatenate(([True], s[1:] != s[:-1]))] if s.size else s


HALF = 0.5
#: Relative outward widening of a computed posterior (5 roundings of 1.1e-16, with room).
REL = 1e-15
#: The initial partition is uniform in log-likelihood ratio on [−X0, X0], step ``STEP0``.
X0 = 25.0
STEP0 = 0.25
#: A cell next to a cusp is cut at w/2, …, w/2^GEO_PIECES from it (see :meth:`Cells.split`).
GEO_PIECES = 6


def logit(b: FloatArray) -> FloatArray:
    """log(b / (1 − b)); ±inf at 0 and 1."""
    with np.errstate(divide="ignore"):
        return np.log(b) - np.log1p(-b)


def expit(x: FloatArray) -> FloatArray:
    """1 / (1 + e^−x)."""
    return 1.0 / (1.0 + np.exp(-x))


def post_good(b: FloatArray, q: FloatArray) -> FloatArray:
    """G-posterior qb / (qb + (1 − q)(1 − b)), NaN where the denominator is 0."""
    num = q * b
    den = num + (1.0 - q) * (1.0 - b)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def post_bad(b: FloatArray, q: FloatArray) -> FloatArray:
    """B-posterior (1 − q)b / ((1 − q)b + q(1 − b)), NaN where the denominator is 0."""
    num = (1.0 - q) * b
    den = num + q * (1.0 - b)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def down(y: FloatArray) -> FloatArray:
    """A float ≤ the exact value of a computed posterior y (0 where y is NaN)."""
    return np.where(np.isnan(y), 0.0, np.clip(y * (1.0 - REL) - 1e-300, 0.0, 1.0))


def up(y: FloatArray) -> FloatArray:
    """A float ≥ the exact value of a computed posterior y (1 where y is NaN)."""
    return np.where(np.isnan(y), 1.0, np.clip(y * (1.0 + REL) + 1e-300, 0.0, 1.0))


def side_of(a: FloatArray, c: FloatArray) -> IntArray:
    """sign(a − c) as −1, 0, +1 (exact comparison of floats)."""
    return (a > c).astype(np.int64) - (a < c).astype(np.int64)


@dataclass(frozen=True, eq=False)
class Cells:
    """A partition of [0, 1]: {0}, [e_i, e_{i+1}) below 1/2, {1/2}, (f_i, f_{i+1}], {1}.

    Attributes:
        lo, hi: closure of each cell, sorted; lo == hi for the three singletons.
        half: index of the singleton {1/2}.
    """

    lo: FloatArray
    hi: FloatArray
    half: int

    @classmethod
    def from_edges(cls, below: FloatArray, above: FloatArray) -> Cells:
        """Cells from interior edges strictly inside (0, 1/2) and (1/2, 1), each sorted."""
        below = np.asarray(below, dtype=np.float64)
        above = np.asarray(above, dtype=np.float64)
        lo = np.concatenate([[0.0, 0.0], below, [HALF, HALF], above, [1.0]])
        hi = np.concatenate([[0.0], below, [HALF, HALF], above, [1.0, 1.0]])
        return cls(lo=lo, hi=hi, half=int(below.size + 2))

    @classmethod
    def initial(cls, p: float, extra: tuple[float, ...] = ()) -> Cells:
        """Uniform in log-likelihood ratio, with edges at 1 − p, p and ``extra``."""
        x = np.arange(-X0, X0 + STEP0 / 2, STEP0)
        b = np.concatenate([expit(x), [1.0 - p, p], np.asarray(extra, dtype=np.float64)])
        b = sorted_unique(b[(b > 0.0) & (b < 1.0) & (b != HALF)])
        return cls.from_edges(b[b < HALF], b[b > HALF])

    @property
    def size(self) -> int:
        """Number of cells."""
        return int(self.lo.size)

    @property
    def point(self) -> np.ndarray:
        """True for the singletons {0}, {1/2}, {1}."""
        single: np.ndarray = self.lo == self.hi
        return single

    def owner(self, b: FloatArray) -> IntArray:
        """Index of the cell that contains each belief b ∈ [0, 1]."""
        b = np.asarray(b, dtype=np.float64)
        below = self.lo[2:self.half]  # the edges e_1 … e_k
        above = self.hi[self.half + 1:-2]  # the edges f_1 … f_m
        idx = np.where(
            b < HALF,
            1 + np.searchsorted(below, b, side="right"),
            self.half + 1 + np.searchsorted(above, b, side="left"),
        )
        idx = np.where(b == HALF, self.half, idx)
        idx = np.where(b <= 0.0, 0, idx)
        return np.where(b >= 1.0, self.size - 1, idx).astype(np.int64)

    def first_covering(self, y: FloatArray, side: IntArray) -> IntArray:
        """Lowest cell whose closure may contain y, given y's exact side of 1/2."""
        idx = np.searchsorted(self.hi, y, side="left")
        return self._clamp(idx, side)

    def last_covering(self, y: FloatArray, side: IntArray) -> IntArray:
        """Highest cell whose closure may contain y, given y's exact side of 1/2."""
        idx = np.searchsorted(self.lo, y, side="right") - 1
        return self._clamp(idx, side)

    def _clamp(self, idx: IntArray, side: IntArray) -> IntArray:
        idx = np.where(side < 0, np.minimum(idx, self.half - 1), idx)
        idx = np.where(side > 0, np.maximum(idx, self.half + 1), idx)
        return np.where(side == 0, self.half, idx).astype(np.int64)

    def split(self, mask: np.ndarray, cusps: tuple[float, ...] = (),
              pieces: int = GEO_PIECES) -> tuple[Cells, IntArray]:
        """Halve (in log-likelihood ratio) the interval cells where ``mask`` is true.

        A marked cell with an end at one of ``cusps`` (where V* may have an infinite slope,
        e.g. c − K·|b − c|^α) is cut instead geometrically toward that end, at distances
        w/2, w/4, …, w/2^pieces from it (w its width): a cell-wise constant bound next to
        such a point needs cells that shrink geometrically toward it.

        Returns:
            The new cells and, for each new cell, the index of its parent.
        """
        mask = np.asarray(mask, bool) & ~self.point
        lo, hi = self.lo[mask], self.hi[mask]
        x0, x1 = logit(lo), logit(hi)
        xm = np.where(np.isinf(x0), x1 - 4.0, np.where(np.isinf(x1), x0 + 4.0, 0.5 * (x0 + x1)))
        mids = [expit(xm)]
        if cusps:
            c = np.asarray(cusps, dtype=np.float64)
            at_hi, at_lo = np.isin(hi, c), np.isin(lo, c) & ~np.isin(hi, c)
            mids[0] = np.where(at_hi | at_lo, np.nan, mids[0])
            frac = 0.5 ** np.arange(1, pieces + 1)
            w = hi - lo
            mids.append((hi[at_hi, None] - w[at_hi, None] * frac[None, :]).ravel())
            mids.append((lo[at_lo, None] + w[at_lo, None] * frac[None, :]).ravel())
            lo = np.concatenate([lo, np.repeat(lo[at_hi], pieces), np.repeat(lo[at_lo], pieces)])
            hi = np.concatenate([hi, np.repeat(hi[at_hi], pieces), np.repeat(hi[at_lo], pieces)])
        mid = np.concatenate(mids)
        ok = (mid > lo) & (mid < hi) & (mid != HALF)
        mid = sorted_unique(mid[ok])
        below = np.sort(np.concatenate([self.lo[2:self.half], mid[mid < HALF]]))
        above = np.sort(np.concatenate([self.hi[self.half + 1:-2], mid[mid > HALF]]))
        new = Cells.from_edges(below, above)
        centre = np.where(new.point, new.lo, 0.5 * (new.lo + new.hi))
        parent = self.owner(centre)
        parent[new.point] = np.flatnonzero(self.point)
        return new, parent


class RangeOpt:
    """Range maximum (or minimum) with its argument over a vector, by a sparse table."""

    def __init__(self, values: FloatArray, sense: str) -> None:
        self.values = values
        pick = np.greater_equal if sense == "max" else np.less_equal
        n = values.size
        levels = [np.arange(n, dtype=np.int64)]
        width = 1
        while 2 * width <= n:
            prev = levels[-1]
            a, b = prev[: n - 2 * width + 1], prev[width: n - width + 1]
            levels.append(np.where(pick(values[a], values[b]), a, b))
            width *= 2
        self.levels = levels
        self.pick = pick

    def arg(self, lo: IntArray, hi: IntArray) -> IntArray:
        """Index of the optimum of values[lo..hi] (inclusive; lo ≤ hi)."""
        length = hi - lo + 1
        k = np.floor(np.log2(np.maximum(length, 1))).astype(np.int64)
        out = np.empty(lo.shape, dtype=np.int64)
        for level in sorted_unique(k):
            sel = k == level
            tab = self.levels[int(level)]
            a = tab[lo[sel]]
            b = tab[hi[sel] - (1 << int(level)) + 1]
            out[sel] = np.where(self.pick(self.values[a], self.values[b]), a, b)
        return out
