r"""The bound operators on cell vectors, their fixed points, and the final certificate step.

For options (see :mod:`steerherd.dp.bounds.boxes`) grouped by cell, the operator is

    (T W)_j = opt_o [r_o + δ · opt_P (P · opt W(G-range) + (1 − P) · opt W(B-range))]

over the options o of cell j, with opt = max for the upper bound and min for the lower.
It is monotone and satisfies T(W + c) = T W + δc, so for any W (MacQueen–Porteus,
Puterman 2005 §6.6.3):

* upper: W' = T W + δ/(1−δ)·max(T W − W) satisfies T W' ≤ W' (a supersolution);
* lower: W' = T W + δ/(1−δ)·min(T W − W) satisfies T W' ≥ W' (a subsolution).

The fixed point is found by policy iteration (the choices of option, successor cells and P
are the policy; evaluation is :func:`steerherd.dp.evaluate.evaluate`, without scipy when its
contraction is quick), and the certificate step above folds in whatever residual is left,
plus a stated allowance for rounding (:func:`fp_margin`).
"""

from __future__ import annotations

import numpy as np

from steerherd.dp.bounds.boxes import Options
from steerherd.dp.bounds.cells import RangeOpt
from steerherd.dp.evaluate import evaluate as evaluate_chain
from steerherd.errors import ConvergenceError
from steerherd.types import FloatArray, IntArray

#: Policy-iteration rounds before giving up.
MAX_PI = 200


def fp_margin(w: FloatArray, delta: float) -> float:
    """Allowance for rounding in one application of T.

    A few ulps of the largest value, carried through the 1/(1 − δ) of the certificate step.
    """
    scale = 1.0 + float(np.max(np.abs(w[np.isfinite(w)]), initial=0.0))
    return 1e-13 * scale / max(1.0 - delta, 1e-12)


def sort_by_cell(opts: Options) -> tuple[Options, IntArray]:
    """The rows sorted by cell (stable), and the permutation used."""
    order = np.argsort(opts.cell, kind="stable")
    return opts.take(order), order


def evaluate(opts: Options, w: FloatArray, delta: float, sense: str
             ) -> tuple[FloatArray, IntArray, IntArray, FloatArray]:
    """Value of every option against W, with the successor cells and P that attain it."""
    ro = RangeOpt(w, sense)
    g, b = ro.arg(opts.gl, opts.gh), ro.arg(opts.bl, opts.bh)
    wg, wb = w[g], w[b]
    lo = opts.plo * wg + (1.0 - opts.plo) * wb
    hi = opts.phi * wg + (1.0 - opts.phi) * wb
    use_hi = hi > lo if sense == "max" else hi < lo
    cont = np.where(use_hi, hi, lo)
    return opts.r + delta * cont, g, b, np.where(use_hi, opts.phi, opts.plo)


def group_best(val: FloatArray, cell: IntArray, n: int, sense: str
               ) -> tuple[FloatArray, IntArray]:
    """Per cell (rows sorted by cell, every cell present): the best value and its row."""
    starts = np.flatnonzero(np.r_[True, cell[1:] != cell[:-1]])
    if starts.size != n or cell[starts[-1]] != n - 1:
        missing = np.setdiff1d(np.arange(n), cell[starts])
        raise ConvergenceError(f"bound operator: cells {missing[:5].tolist()} have no option")
    red = np.maximum if sense == "max" else np.minimum
    best = red.reduceat(val, starts)
    hit = np.flatnonzero(val == best[cell])
    first = hit[np.r_[True, cell[hit][1:] != cell[hit][:-1]]]
    return best, first


def apply(opts: Options, w: FloatArray, n: int, delta: float, sense: str) -> FloatArray:
    """(T W) on every cell."""
    val, *_ = evaluate(opts, w, delta, sense)
    return group_best(val, opts.cell, n, sense)[0]


def fixed_point(opts: Options, n: int, delta: float, sense: str, w0: FloatArray
                ) -> tuple[FloatArray, IntArray, tuple[IntArray, IntArray, FloatArray]]:
    """Policy iteration from the greedy policy at ``w0``.

    Returns:
        W (the value of the last policy), the option chosen at each cell, and that option's
        successor cells and P(G) (G-cell, B-cell, P) per cell.
    """
    w = w0.copy()
    key_prev: tuple[bytes, ...] | None = None
    for it in range(1, MAX_PI + 1):
        val, g, b, pp = evaluate(opts, w, delta, sense)
        best, arg = group_best(val, opts.cell, n, sense)
        if delta == 0.0:
            return best, arg, (g[arg], b[arg], pp[arg])
        key = (arg.tobytes(), g[arg].tobytes(), b[arg].tobytes(), pp[arg].tobytes())
        gain = best - w if sense == "max" else w - best
        if key == key_prev or (it > 1 and gain.max() <= fp_margin(w, delta) * (1 - delta)):
            return w, arg, (g[arg], b[arg], pp[arg])
        key_prev = key
        w = _evaluate_policy(opts.r[arg], g[arg], b[arg], pp[arg], delta)
    raise ConvergenceError(f"bound policy iteration did not settle in {MAX_PI} rounds")


def _evaluate_policy(r: FloatArray, g: IntArray, b: IntArray, pg: FloatArray, delta: float
                     ) -> FloatArray:
    """Solve W = r + δ (P W_g + (1 − P) W_b) (:func:`steerherd.dp.evaluate.evaluate`)."""
    return evaluate_chain(r, (g, b), (pg, 1.0 - pg), delta)


def certify_step(opts: Options, w: FloatArray, n: int, delta: float, sense: str
                 ) -> tuple[FloatArray, float]:
    """The MacQueen–Porteus bound from W (see the module docstring), and T's residual.

    Returns:
        A supersolution (``max``) or subsolution (``min``) of T, and max |T W − W|.
    """
    tw = apply(opts, w, n, delta, sense)
    d = tw - w
    margin = fp_margin(w, delta)
    if delta == 0.0:
        shift = 0.0
    elif sense == "max":
        shift = delta / (1.0 - delta) * float(d.max())
    else:
        shift = delta / (1.0 - delta) * float(d.min())
    sign = 1.0 if sense == "max" else -1.0
    return tw + shift + sign * margin, float(np.abs(d).max())
