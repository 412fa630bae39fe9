r"""Certified Theorem 3 order and the paper's strict claims, from the continuous-problem bounds.

A grid may misplace a regime; certified bounds lower ≤ V* ≤ upper (:mod:`steerherd.dp.bounds`)
cannot. Everything here rests on two per-cell facts of the bounds, both from the machinery
of the certified regimes (:mod:`steerherd.dp.bounds.regimes`, resolution w = 10⁻³, *before*
its renaming to the grid's names, which only tells the tie q = c(b) from the limit q ↓ c(b),
c(b) = max(b, 1 − b), and is irrelevant here):

* mode m is **certain** on a cell C: every precision within the certified gap of optimal,
  at every b ∈ C, lies in m's neighbourhood N(m, b) (its lower bound beats the upper bound of
  every precision outside). N(baseline) ⊂ [p − w, p + w]; N(full) ⊂ [1 − w, 1];
  N(informative, b) ⊂ [c(b), c(b) + w] (not a cascade: the tie or just above it);
  N(obfuscate, b) ⊂ (b − w, b) (a G cascade, the limit q ↑ b); N(other) = outside all four.
* mode m is **excluded** on C: the upper bound of r + δ E[upper] over the precisions of
  m's neighbourhood is below lower(C), so no precision there (nor its limit) is optimal at
  any b ∈ C.

**Theorem 3's order** (altruistic). The theorem's regimes, walked from an edge to 1/2, are
baseline (rank 0, q = p), informative (rank 1, q = max(p, b, 1 − b): the module reading of
:mod:`steerherd.theory.theorems`), full (rank 2, q = 1), in that order, with full on all of
(t_M, 1 − t_M) (t_A ≤ t_M, t_M from :func:`steerherd.structure.myopic_threshold`). Per cell,
a rank R is **allowed** unless the facts rule it out at every belief of the cell: R is ruled
out by a certain mode m when q_R(b) ∉ N(m, b) for every b ∈ C, and by an excluded mode m when
q_R(b) lies in m's neighbourhood for every b ∈ C (the exact sets are in :func:`_allowed`; each
test over-approximates what is allowed, never the reverse). Cells meeting (t_M, 1 − t_M)
allow rank 2 only. A **certified violation** is a half on which no non-decreasing choice
of allowed ranks exists (found greedily, walking from the edge): then no 0 ≤ d_A ≤ t_A ≤ t_M
makes the theorem's policy optimal, whatever V* between lower and upper is. The order is
certified as a violation or not at all (undecided cells allow everything).

**Strict claims**, each ``holds`` / ``fails`` (both certified) or ``undecided``:

* Thm 3 ``d_A > 0`` (q* = p on [0, d_A) ∪ (1 − d_A, 1]). Near an edge, q ∈ N(baseline) is a
  cascade (b < 1 − p − w), where q = p is the unique best in N; so baseline certain on a
  cell there means q* = p on it. Bracket from the edge: d_A ≥ the end of the run of such
  cells from the edge, and d_A ≤ the start of the first cell where baseline is excluded.
  ``holds`` when the lower end is > 0 at both edges (baseline certain on the cell next to 0
  and to 1); ``fails`` when baseline is excluded on the cell next to 0 or to 1 (d_A = 0).
* Thm 4 ``t2 < t3`` (δ = 0 biased: q* = 1 − b, informative, on (t₂, t₃) ⊂ [1 − p, 1/2)).
  ``holds`` when informative is certain on a cell in (1 − p, 1/2) whose neighbourhood
  excludes p (c + w < p): then t₂ ≤ its lo < its hi ≤ t₃. ``fails`` when informative is
  excluded on every cell of (1 − p, 1/2). Where t₂ = t₃ = 1 − p (every failure of the closed
  form) this cannot be certified by value bounds: at b = 1 − p the precision 1 − b *is* p,
  and Q(b, 1 − b) → V*(1 − p) as b ↓ 1 − p, so a cell next to 1 − p is never excluded; the
  report then gives ``t3_upper``, a certified bound t₃ ≤ t3_upper (the informative regime, if
  any, lies in [1 − p, t3_upper]).
* Thm 5 ``1/2 < t2`` (t₂ = the start of the obfuscation run that ends at p, the shared
  definition of :func:`steerherd.structure.t2_threshold`). Walking down from the cell that
  ends at p: ``fails`` when obfuscate is certain on every cell of (1/2, p] (t₂ = 1/2);
  ``holds`` when obfuscate is certain on the cell that ends at p (the run exists) and
  excluded on some cell of (1/2, p] (the run starts above it); ``n/a`` when obfuscate is
  excluded on the cell ending at p (no run: the grid check has no t₂ either). Bracket:
  t₂ ∈ [hi of the highest excluded cell below the run, lo of the certain run].
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from steerherd.dp.bounds import ops
from steerherd.dp.bounds.certify import Bounds

# The certainty test of the certified regimes, before renaming.
from steerherd.dp.bounds.regimes import (
    MODES,
    RESOLUTION,
    lower_mode,
    precision_sets,
    restricted_upper,
)
from steerherd.model import Params
from steerherd.structure import myopic_threshold
from steerherd.types import FloatArray

HOLDS, FAILS, UNDECIDED, NA = "holds", "fails", "undecided", "n/a"
#: The strict claim of each theorem (the names of :data:`steerherd.theory.verify.STRICT_CLAIMS`).
CLAIMS = {"thm3": "d_A > 0", "thm4": "t2 < t3", "thm5": "1/2 < t2"}


@dataclass(frozen=True)
class CellFacts:
    """Per cell of the bounds: where each mode is certain and where it is excluded."""

    lo: FloatArray
    hi: FloatArray
    certain: dict[str, np.ndarray]
    excluded: dict[str, np.ndarray]
    resolution: float


def cell_facts(bounds: Bounds, resolution: float = RESOLUTION,
               certain: tuple[str, ...] = MODES, excluded: tuple[str, ...] = MODES[:4],
               where: np.ndarray | None = None) -> CellFacts:
    """Certain and excluded modes per cell (see the module docstring).

    Only the modes named are tested (the others read as neither certain nor excluded, which
    is always sound), and only on the cells ``where`` (default: all), since each test is a
    pass over the precision boxes.
    """
    par, cells, w = bounds.params, bounds.cells, resolution
    where = np.ones(cells.size, bool) if where is None else np.asarray(where, bool)
    if bounds.boxes is not None and not where.all():
        bounds = replace(bounds, boxes=bounds.boxes.take(np.flatnonzero(
            where[bounds.boxes.cell])))
    fpm = ops.fp_margin(bounds.upper, par.delta)
    sets = precision_sets(bounds, w)
    cache: dict[tuple[str, int], FloatArray] = {}

    def upper(m: str, inside: int) -> FloatArray:
        if (m, inside) not in cache:
            if m == "other":  # outside "other" = inside any of the four
                cache[m, inside] = np.max([upper(k, 0) for k in MODES[:4]], axis=0)
            else:
                cache[m, inside] = restricted_upper(bounds, *sets[m][inside])
        return cache[m, inside]

    none = np.zeros(cells.size, bool)
    sure = {m: (lower_mode(bounds, m, w) > upper(m, 1) + fpm) & where if m in certain
            else none for m in MODES}
    out = {m: (upper(m, 0) + fpm < bounds.lower) & where if m in excluded else none
           for m in MODES[:4]}
    return CellFacts(cells.lo.copy(), cells.hi.copy(), sure, out, w)


# --- Theorem 3's order ---------------------------------------------------------------------
def _allowed(facts: CellFacts, j: int, p: float) -> set[int]:
    """Ranks (0 baseline, 1 informative, 2 full) the facts allow on cell j (a superset)."""
    lo, hi, w = float(facts.lo[j]), float(facts.hi[j]), facts.resolution
    c_lo = min(max(lo, 1.0 - lo), max(hi, 1.0 - hi)) if not lo <= 0.5 <= hi else 0.5
    c_hi = max(max(lo, 1.0 - lo), max(hi, 1.0 - hi))
    q1_lo, q1_hi = max(p, c_lo), max(p, c_hi)  # q of rank 1 ranges over [q1_lo, q1_hi]
    ranks = {0, 1, 2}
    cert, excl = facts.certain, facts.excluded
    if cert["baseline"][j]:  # q* in [p - w, p + w]
        ranks &= {0} | ({1} if q1_lo <= p + w else set()) | ({2} if p + w >= 1.0 else set())
    if cert["full"][j]:  # q* in [1 - w, 1]
        ranks &= ({0} if p >= 1.0 - w else set()) | ({1} if q1_hi >= 1.0 - w else set()) | {2}
    if cert["informative"][j]:  # q* in [c(b), c(b) + w]
        ranks &= ({0} if c_lo <= p and c_hi >= p - w else set()) \
            | ({1} if c_hi >= p - w else set()) | ({2} if c_hi + w >= 1.0 else set())
    if cert["obfuscate"][j]:  # q* in (b - w, b), a G cascade
        ranks &= {0} if hi > p and lo < p + w else set()
    if cert["other"][j]:  # q* outside every neighbourhood: none of p, max(p, b, 1-b), 1
        ranks = set()
    if excl["baseline"][j]:
        ranks -= {0} | ({1} if c_hi <= p else set()) | ({2} if p + w >= 1.0 else set())
    if excl["full"][j]:
        ranks -= {2} | ({1} if q1_lo >= 1.0 - w else set()) | ({0} if p >= 1.0 - w else set())
    if excl["informative"][j]:
        ranks -= ({1} if c_lo >= p else set()) | ({2} if c_hi + w >= 1.0 else set())
    return ranks


def thm3_order(facts: CellFacts, params: Params) -> dict[str, Any]:
    """Theorem 3's regime order and t_A ≤ t_M against the facts.

    Returns:
        ``violated`` (bool: certified) and, if so, ``witness``: the half, the cell where
        no allowed rank fits, its allowed ranks, and the cell that forced the rank before it.
    """
    p, t_m = params.p, myopic_threshold(params)
    lo, hi = facts.lo, facts.hi
    halves = {"left": np.flatnonzero(hi <= 0.5), "right": np.flatnonzero(lo >= 0.5)[::-1]}
    for half, idx in halves.items():
        rank, forced_by = 0, None
        for j in idx:
            allowed = _allowed(facts, int(j), p)
            inside = hi[j] > t_m if half == "left" else lo[j] < 1.0 - t_m
            if t_m < 0.5 and inside:
                allowed &= {2}
            fits = [r for r in allowed if r >= rank]
            if not fits:
                return {"violated": True, "witness": {
                    "half": half, "cell": [float(lo[j]), float(hi[j])],
                    "allowed": sorted(allowed), "rank_before": rank,
                    "forced_by": forced_by, "t_M": t_m}}
            if min(fits) > rank:
                rank, forced_by = min(fits), [float(lo[j]), float(hi[j])]
    return {"violated": False, "witness": None}


# --- strict claims -----------------------------------------------------------------------
def d_a_positive(facts: CellFacts, params: Params) -> dict[str, Any]:
    """Thm 3's d_A > 0 from its certified bracket at each edge (see the module docstring)."""
    lo, hi, w = facts.lo, facts.hi, facts.resolution
    cascade = hi < 1.0 - params.p - w  # left edge; the right edge by mirror
    brackets = {}
    left, right = np.flatnonzero(hi <= 0.5), np.flatnonzero(lo >= 0.5)
    for edge, order in (("0", left[np.lexsort((hi[left], lo[left]))]),
                        ("1", right[np.lexsort((-lo[right], -hi[right]))])):
        dist_lo = lo if edge == "0" else 1.0 - hi
        dist_hi = hi if edge == "0" else 1.0 - lo
        inner = cascade if edge == "0" else lo > params.p + w
        sure_end, first_excluded = 0.0, None
        run = True
        for j in order:
            if run and facts.certain["baseline"][j] and inner[j]:
                sure_end = float(dist_hi[j])
            else:
                run = False
            if facts.excluded["baseline"][j]:
                first_excluded = float(dist_lo[j])
                break
        brackets[edge] = [sure_end, 0.5 if first_excluded is None else first_excluded]
    if any(b[1] <= 0.0 for b in brackets.values()):
        status = FAILS
    elif all(b[0] > 0.0 for b in brackets.values()):
        status = HOLDS
    else:
        status = UNDECIDED
    return {"status": status, "bracket_from_0": brackets["0"], "bracket_from_1": brackets["1"]}


def t2_below_t3(facts: CellFacts, params: Params) -> dict[str, Any]:
    """Thm 4's t₂ < t₃ (δ = 0 biased) from the informative cells in (1 − p, 1/2)."""
    p, w = params.p, facts.resolution
    lo, hi = facts.lo, facts.hi
    band = np.flatnonzero((lo >= 1.0 - p) & (hi <= 0.5) & (hi > lo) & (hi > 1.0 - p))
    sure = band[facts.certain["informative"][band] & (1.0 - lo[band] + w < p)]
    possible = band[~facts.excluded["informative"][band]]
    t3_upper = float(hi[possible].max()) if possible.size else 1.0 - p
    if sure.size:
        status = HOLDS
    elif possible.size == 0:
        status = FAILS
    else:
        status = UNDECIDED
    return {"status": status, "t3_upper": t3_upper,
            "certain_cells": None if not sure.size else [float(lo[sure].min()),
                                                          float(hi[sure].max())]}


def half_below_t2(facts: CellFacts, params: Params) -> dict[str, Any]:
    """Thm 5's 1/2 < t₂ (t₂ = start of the obfuscation run ending at p) from the facts."""
    p = params.p
    lo, hi = facts.lo, facts.hi
    band = np.flatnonzero((lo >= 0.5) & (hi <= p) & (hi > lo))[::-1]  # from p down to 1/2
    cert, excl = facts.certain["obfuscate"], facts.excluded["obfuscate"]
    if band.size == 0 or excl[band[0]]:
        return {"status": NA, "t2_bracket": None}
    if not cert[band[0]]:
        return {"status": UNDECIDED, "t2_bracket": None}
    start = band[0]
    for j in band:
        if not cert[j]:
            break
        start = j
    t2_hi = float(lo[start])
    below = [j for j in band if hi[j] <= t2_hi and excl[j]]
    t2_lo = float(hi[below[0]]) if below else 0.5
    if t2_hi <= 0.5:
        status = FAILS
    elif t2_lo > 0.5:
        status = HOLDS
    else:
        status = UNDECIDED
    return {"status": status, "t2_bracket": [t2_lo, t2_hi]}


def judge(bounds: Bounds, want: set[str], resolution: float = RESOLUTION
          ) -> dict[str, Any]:
    """The certified verdicts asked for in ``want`` ⊂ {"thm3", "d_A > 0", "t2 < t3", "1/2 < t2"}.

    The facts are computed once, for the modes and cells the checks asked for read.
    """
    par = bounds.params
    lo, hi, p, w = bounds.cells.lo, bounds.cells.hi, par.p, resolution
    need_c: set[str] = set()
    need_x: set[str] = set()
    where = np.zeros(lo.size, bool)
    if "thm3" in want:
        need_c |= {"baseline", "full", "informative", "obfuscate", "other"}
        need_x |= {"baseline", "full", "informative"}
        where[:] = True
    if "d_A > 0" in want:
        need_c.add("baseline")
        need_x.add("baseline")
        where |= (hi <= 1.0 - p) | (lo >= p)
    if "t2 < t3" in want:
        need_c.add("informative")
        need_x.add("informative")
        where |= (lo >= 1.0 - p) & (hi <= 0.5)
    if "1/2 < t2" in want:
        need_c.add("obfuscate")
        need_x.add("obfuscate")
        where |= (lo >= 0.5) & (hi <= p)
    facts = cell_facts(bounds, w, tuple(m for m in MODES if m in need_c),
                       tuple(m for m in MODES[:4] if m in need_x), where)
    out: dict[str, Any] = {}
    if "thm3" in want:
        out["thm3"] = thm3_order(facts, par)
    checks = {"d_A > 0": d_a_positive, "t2 < t3": t2_below_t3, "1/2 < t2": half_below_t2}
    for claim, fn in checks.items():
        if claim in want:
            out[claim] = fn(facts, par)
    return out


def decided(verdicts: dict[str, Any]) -> bool:
    """Whether every verdict is final (a violation certified, or a claim decided)."""
    return all(v["violated"] if k == "thm3" else v["status"] != UNDECIDED
               for k, v in verdicts.items())
