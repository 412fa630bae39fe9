r"""The paper's theorems as checks on a solved problem (MODEL.md §3).

Each check is a pure function of a :class:`~steerherd.solution.Solution` and returns a
:class:`TheoremResult`: whether the theorem's claims hold on the grid, the worst *margin*
(the smallest slack over all claims, in the claim's own units: beliefs, precisions or slopes;
negative means violated, and its size says by how much) and details (the thresholds found,
the nodes that fail).

=========  ==========================================================================
theorem    claim checked
=========  ==========================================================================
thm1       δ = 0 altruistic: the solve equals Theorem 1's closed form (values and policy)
thm2       V_A* is convex (slope jumps ≥ −tolerance, see :func:`convexity_tolerance`)
thm3       altruistic regimes baseline / informative / full / informative / baseline,
           0 < d_A ≤ t_A ≤ t_M ≤ 1/2
thm4       δ = 0 biased: the solve equals Theorem 4's closed form (values and policy)
thm5       biased: q* = p on [0, t₁) ∪ (p, 1], t₁ ≤ 1 − p; q* ≥ p on [t₁, 1 − p];
           q* ≥ 1 − b on (1 − p, 1/2); q* ≥ b where attained on [1/2, t₂); obfuscation on
           (t₂, p] with 1/2 ≤ t₂ < p
=========  ==========================================================================

Conventions. Theorem 3's ``max(b, 1 − b)`` is read as ``max(p, b, 1 − b)``: on (1 − p, p)
the free baseline is already informative, so a node reported as ``baseline`` there counts
as the theorem's informative regime. Theorem 5's t₂ is the start of the obfuscation run that
ends at p (:func:`steerherd.structure.t2_threshold`, the definition ``Solution.thresholds``
uses too). A claim about the solver's choice between candidates whose values differ by less
than the solver's tie tolerance (``TIE_Q``) is not tested at that node.

Strict inequalities. The paper's strict claims are claims of their own: each holds or fails
and is reported in ``details["strict"]`` as ``{claim: {"holds": bool, "margin": float}}``
(margin > 0 iff it holds); ``verify`` counts each in its own column, and a failure there is a
failure of the paper's claim. ``passed`` and ``margin`` cover the theorem's other claims only
(so that "the structure holds but a strict inequality is an equality" stays visible):

* Thm 3 ``d_A > 0``: on the bracket of d_A, from both edges: the node before the first
  investing node (from 0, and mirrored from 1) is not the edge itself; margin = the distance
  from the edge to the last non-investing node before the first investing one.
* Thm 4 ``t2 < t3``: from Theorem 4's closed form (exact, no grid): margin t₃ − t₂.
* Thm 5 ``1/2 < t2``: the obfuscation run ending at p does not contain the right limit 1/2 + 0
  (evaluated at 1/2 + ETA); margin = the belief of the run's first node minus 1/2.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from steerherd.dp.bellman import KIND_BELOW, TIE_Q
from steerherd.dp.grid import ETA
from steerherd.errors import ParameterError
from steerherd.model import TIE_TOL
from steerherd.model.tolerances import Q_TOL  # noqa: F401  (the table of tolerances)
from steerherd.solution import Solution
from steerherd.structure import (
    Threshold,
    myopic_altruistic_policy,
    myopic_biased_policy,
    myopic_biased_tests,
    myopic_biased_thresholds,
    myopic_threshold,
    obfuscation_run,
)
from steerherd.types import FloatArray

THEOREMS = ("thm1", "thm2", "thm3", "thm4", "thm5")
TITLES = {
    "thm1": "Thm 1 myopic altruistic closed form",
    "thm2": "Thm 2 V_A* convex",
    "thm3": "Thm 3 altruistic regimes, t_A <= t_M",
    "thm4": "Thm 4 myopic biased closed form",
    "thm5": "Thm 5 biased regimes and bounds",
}
#: Unit roundoff of float64.
_U = float(np.finfo(np.float64).eps) / 2


@dataclass(frozen=True)
class TheoremResult:
    """The outcome of one theorem check.

    Attributes:
        theorem: ``thm1`` … ``thm5``.
        passed: every claim held on the grid.
        margin: the smallest slack over the claims (negative: violated by that much).
        details: thresholds, failing nodes and the claims that failed.
    """

    theorem: str
    passed: bool
    margin: float
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        """Human-readable name."""
        return TITLES[self.theorem]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {"theorem": self.theorem, "passed": self.passed, "margin": self.margin,
                "details": self.details}


def applicable(sol: Solution) -> tuple[str, ...]:
    """The theorems that speak about this solution's problem."""
    par = sol.params
    if par.horizon is not None:
        return ()
    if par.altruistic:
        return ("thm2", "thm3") + (("thm1",) if par.delta == 0.0 else ())
    return ("thm5",) + (("thm4",) if par.delta == 0.0 else ())


def check(sol: Solution, theorem: str) -> TheoremResult:
    """Run one theorem check by name.

    Raises:
        ParameterError: for an unknown name or a theorem that does not apply.
    """
    checks = {"thm1": check_myopic_altruistic, "thm2": check_convexity,
              "thm3": check_altruistic_regimes, "thm4": check_myopic_biased,
              "thm5": check_biased_regimes}
    if theorem not in checks:
        raise ParameterError(f"theorem must be one of {list(THEOREMS)}, got {theorem!r}")
    return checks[theorem](sol)


def check_all(sol: Solution) -> list[TheoremResult]:
    """Every applicable check."""
    return [check(sol, name) for name in applicable(sol)]


def _require(sol: Solution, theorem: str, planner: str, myopic: bool = False) -> None:
    par = sol.params
    if par.horizon is not None:
        raise ParameterError(f"{theorem} is about the infinite-horizon problem, got horizon="
                             f"{par.horizon}")
    if par.planner != planner:
        raise ParameterError(f"{theorem} is about the {planner} planner, got {par.planner!r}")
    if myopic and par.delta != 0.0:
        raise ParameterError(f"{theorem} is about the myopic planner (delta = 0), got delta="
                             f"{par.delta}")


def _span(position: FloatArray, bad: np.ndarray) -> float:
    """Extent of the failing nodes in belief, at least one grid step (the size of a violation)."""
    pos = position[bad]
    step = float(np.diff(np.unique(position)).max())
    return float(pos.max() - pos.min()) + step


# --- Theorem 2 ---------------------------------------------------------------------------
def convexity_tolerance(sol: Solution) -> float:
    r"""ε: how far the returned V may sit from the grid's exact fixed point V̄, per node.

    Derivation. The MacQueen–Porteus bounds put V̄ in [T V + lo, T V + hi] with hi − lo =
    ``gap``, and |T V − V| ≤ ``bellman_residual``; so |V − V̄| ≤ residual + gap. Floating
    point adds the error of the policy-evaluation solve, at most about u·κ·‖V‖∞ with
    κ = (1 + δ)/(1 − δ) the condition number of I − δP_σ in the ∞-norm; a factor 100 covers
    the growth in the sparse LU on these ≤ 5-nonzero rows. A perturbation of each node by
    ε moves a slope jump (V₊ − V)/h₊ − (V − V₋)/h₋ by at most 2ε(1/h₊ + 1/h₋), which is the
    per-node tolerance; one-sided nodes x± are evaluated at x ± ETA, which adds ETA·L/h (L the
    largest slope). What remains is the discretisation error of V̄ itself, which no
    certificate bounds: that is why a violation is re-checked on a finer grid.
    """
    c = sol.certificate
    kappa = (1.0 + sol.params.delta) / (1.0 - sol.params.delta)
    return c.bellman_residual + c.gap + 100.0 * _U * kappa * max(1.0, float(np.abs(sol.V).max()))


def _slope_jumps(x: FloatArray, v: FloatArray, eps: float, lip: float
                 ) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(positions, slope jumps, tolerances) at the interior nodes of one run."""
    h = np.diff(x)
    keep = h > 0
    x, v = np.concatenate([x[:1], x[1:][keep]]), np.concatenate([v[:1], v[1:][keep]])
    if x.size < 3:
        return np.zeros(0), np.zeros(0), np.zeros(0)
    h = np.diff(x)
    slope = np.diff(v) / h
    jump = np.diff(slope)
    inv = 1.0 / h[1:] + 1.0 / h[:-1]
    return x[1:-1], jump, 2.0 * eps * inv + 2.0 * ETA * lip * inv


def check_convexity(sol: Solution) -> TheoremResult:
    """Theorem 2: V_A* is convex.

    Checked on every segment between breakpoints (one-sided nodes at its ends) and across
    the breakpoints (through the nodes at x itself).
    """
    _require(sol, "Theorem 2", "altruistic")
    pos, side, v = sol.grid.position, sol.grid.side, sol.V
    eps = convexity_tolerance(sol)
    lip = float(np.abs(np.diff(v) / np.maximum(np.diff(pos), 1e-300))[np.diff(pos) > 0].max())
    runs = []
    edges = [0.0, *sol.grid.breakpoints, 1.0]
    for a, c in zip(edges[:-1], edges[1:], strict=True):
        seg = ((pos > a) & (pos < c)) | ((pos == a) & (side >= 0) & (a == 0.0)) \
            | ((pos == a) & (side == 1)) | ((pos == c) & (side == -1)) | ((pos == c) & (c == 1.0))
        runs.append(np.flatnonzero(seg))
    runs.append(np.flatnonzero(side == 0))
    worst, where, n_bad = np.inf, None, 0
    failing: list[tuple[float, float]] = []
    for idx in runs:
        x, jump, tol = _slope_jumps(pos[idx], v[idx], eps, lip)
        if x.size == 0:
            continue
        slack = jump + tol
        n_bad += int(np.count_nonzero(slack < 0))
        failing += [(float(s), float(b)) for s, b in zip(slack, x, strict=True) if s < 0]
        i = int(np.argmin(slack))
        if slack[i] < worst:
            worst, where = float(slack[i]), float(x[i])
    return TheoremResult("thm2", n_bad == 0, worst, {
        "value_tolerance": eps, "worst_at_belief": where, "failing_nodes": n_bad,
        # The worst failing nodes' beliefs (at most 20), for the curvature re-check.
        "failing_beliefs": [b for _, b in sorted(failing)[:20]]})


# --- Theorem 3 ---------------------------------------------------------------------------
_RANK = {"baseline": 0, "informative": 1, "full": 2}


def _allowed(b: float, mode: str, p: float) -> set[int]:
    """Ranks a node may take in the order baseline (0) ≤ informative (1) ≤ full (2)."""
    if mode == "baseline" and b >= 1.0 - p - TIE_TOL:
        return {0, 1}  # max(p, b, 1 − b) = p here: the baseline is informative
    return {_RANK[mode]} if mode in _RANK else set()


def _order_breaks(mirror_b: FloatArray, modes: np.ndarray, p: float) -> tuple[np.ndarray, float]:
    """Nodes (walking from the edge to 1/2) that break baseline ≤ informative ≤ full.

    Also returns the size of the break: the least belief measure whose regime must change
    to restore the order (node weight = distance to the next node; a heaviest monotone
    subsequence, by DP).
    """
    bad = np.zeros(modes.size, dtype=bool)
    weight = np.abs(np.diff(mirror_b, append=mirror_b[-1:]))
    best = np.zeros(3)  # best[r]: heaviest kept subsequence whose last rank is <= r
    rank = 0
    for i, (b, md) in enumerate(zip(mirror_b, modes, strict=True)):
        allowed = _allowed(float(b), str(md), p)
        new = best.copy()
        for r in allowed:
            new[r] = max(new[r], best[r] + weight[i])
        best = np.maximum.accumulate(new)
        fits = [r for r in allowed if r >= rank]
        if fits:
            rank = min(fits)
        else:
            bad[i] = True
    return bad, float(weight.sum() - best[-1])


def check_altruistic_regimes(sol: Solution) -> TheoremResult:
    """Theorem 3: regime order and 0 < d_A ≤ t_A ≤ t_M ≤ 1/2 (each half walked from its edge)."""
    _require(sol, "Theorem 3", "altruistic")
    par = sol.params
    pos, modes = sol.grid.position, sol.modes
    left = np.flatnonzero(pos <= 0.5)
    right = np.flatnonzero(pos >= 0.5)[::-1]
    bad = np.zeros(pos.size, dtype=bool)
    bad[left], size_left = _order_breaks(pos[left], modes[left], par.p)
    bad[right], size_right = _order_breaks(1.0 - pos[right], modes[right], par.p)
    t_m = myopic_threshold(par)
    full = np.flatnonzero(modes == "full")
    # t_A from each side: the last node before the first full node, bracketing from below.
    t_a_left = float(pos[full[0] - 1]) if full.size and full[0] > 0 else 0.5
    t_a_right = 1.0 - float(pos[full[-1] + 1]) if full.size and full[-1] < pos.size - 1 else 0.5
    margins = {"t_M - t_A (left)": t_m - t_a_left, "t_M - t_A (right)": t_m - t_a_right}
    if bad.any():
        step = float(np.diff(np.unique(pos)).max())
        margins["order"] = -max(size_left + size_right, step)
    strict = {"d_A > 0": _d_a_positive(pos, modes)}
    worst = min(margins.values())
    thr = sol.thresholds
    return TheoremResult("thm3", worst >= -TIE_TOL, worst, {
        "strict": strict,
        "d_A": thr["d_A"].value if thr["d_A"] else None,
        "t_A": thr["t_A"].value if thr["t_A"] else None, "t_M": t_m,
        "margins": margins, "out_of_order": _runs(pos, bad),
        "modes_out_of_order": sorted({str(m) for m in modes[bad]}),
    })


def _d_a_positive(pos: FloatArray, modes: np.ndarray) -> dict[str, Any]:
    """Thm 3's strict d_A > 0 on d_A's bracket, from both edges (see the module notes)."""
    invest = np.flatnonzero(modes != "baseline")
    if invest.size == 0:
        return {"holds": True, "margin": 0.5}
    first, last = int(invest[0]), int(invest[-1])
    left = float(pos[first - 1]) if first > 0 else -0.0
    right = 1.0 - float(pos[last + 1]) if last < pos.size - 1 else -0.0
    margin = min(left, right)
    return {"holds": margin > 0.0, "margin": margin}


def _runs(position: FloatArray, mask: np.ndarray) -> list[list[float]]:
    """Belief intervals [lo, hi] of the maximal runs of ``mask`` (at most 10)."""
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return []
    cuts = np.flatnonzero(np.diff(idx) > 1)
    starts, ends = np.r_[idx[0], idx[cuts + 1]], np.r_[idx[cuts], idx[-1]]
    return [[float(position[a]), float(position[b])] for a, b in zip(starts, ends, strict=True)
            ][:10]


# --- Theorem 5 ---------------------------------------------------------------------------
def _obfuscation_run(sol: Solution) -> tuple[int, int] | None:
    """(first, last) node of the obfuscation run ending at b = p (the shared definition)."""
    return obfuscation_run(sol.params, sol.grid.position, sol.grid.side, sol.modes)


def check_biased_regimes(sol: Solution) -> TheoremResult:
    """Theorem 5: the biased planner's regimes and precision bounds (see the module table)."""
    _require(sol, "Theorem 5", "biased")
    p = sol.params.p
    pos, side, b, q, kind, modes = (sol.grid.position, sol.grid.side, sol.grid.belief, sol.q,
                                    sol.kind, sol.modes)
    below = kind == KIND_BELOW
    margins: dict[str, float] = {}
    # (p, 1]: the baseline.
    upper = (pos > p) | ((pos == p) & (side == 1))
    bad = upper & (modes != "baseline")
    if bad.any():
        margins["q* = p on (p, 1]"] = -_span(pos, bad)
    # t1: the first node that is not the baseline; t1 <= 1 - p.
    invest = np.flatnonzero(modes != "baseline")
    t1_node = int(invest[0]) if invest.size else pos.size - 1
    t1_lo = float(pos[max(t1_node - 1, 0)])
    margins["t1 <= 1-p"] = (1.0 - p) - t1_lo
    # [t1, 1 - p]: q* >= p.
    idx = np.arange(pos.size)
    mid = (idx >= t1_node) & ((pos < 1.0 - p) | ((pos == 1.0 - p) & (side <= 0)))
    if mid.any():
        margins["q* >= p on [t1, 1-p]"] = float((q[mid] - p).min()) + Q_TOL
    # (1 - p, 1/2): q* >= 1 - b; a supremum from below is strictly less.
    esc = ((pos > 1.0 - p) & (pos < 0.5)) | ((pos == 1.0 - p) & (side == 1)) \
        | ((pos == 0.5) & (side == -1))
    if esc.any():
        slack = q[esc] - (1.0 - b[esc]) + Q_TOL - np.where(below[esc], 2 * Q_TOL, 0.0)
        margins["q* >= 1-b on (1-p, 1/2)"] = float(slack.min())
    t2, details = _upper_half(sol, margins)
    run = _obfuscation_run(sol)
    if run is not None:
        start = float(pos[run[0]]) - 0.5  # 0 when the run starts at 1/2 + 0
        strict = {"1/2 < t2": {"holds": start > 0.0, "margin": start}}
    else:  # no obfuscation at p: no t2 to compare (the run's absence is a margin above)
        strict = {}
    worst = min(margins.values())
    thr = sol.thresholds
    details.update({
        "t_1": thr["t_1"].value if thr["t_1"] else None, "t_2": t2, "margins": margins,
        "strict": strict, "failed": sorted(k for k, m in margins.items() if m < 0),
        "strict_failed": sorted(k for k, c in strict.items() if not c["holds"]),
    })
    return TheoremResult("thm5", worst >= 0.0, worst, details)


def _upper_half(sol: Solution, margins: dict[str, float]) -> tuple[float | None, dict[str, Any]]:
    """Thm 5 on [1/2, p]: the obfuscation run (t₂, p], and q* ≥ b where attained before it.

    Adds its margins to ``margins``; returns t₂ (``Solution.thresholds["t_2"]``, the midpoint
    of its bracket) and details.
    """
    pos, side, b, q, kind = sol.grid.position, sol.grid.side, sol.grid.belief, sol.q, sol.kind
    run = _obfuscation_run(sol)
    if run is None:
        margins["obfuscation at b = p"] = -float(np.diff(np.unique(pos)).max())
        t2_first = int(sol.grid.node_index(sol.params.p, 0)) + 1
    else:
        t2_first = run[0]
    half = ((pos > 0.5) | ((pos == 0.5) & (side >= 0))) & (np.arange(pos.size) < t2_first)
    attained = half & (kind != KIND_BELOW)
    if attained.any():
        slack = float((q[attained] - b[attained]).min()) + Q_TOL
        margins["q* >= b on [1/2, t2) where attained"] = slack
    t2: Threshold | None = sol.thresholds["t_2"]
    return (t2.value if t2 is not None else None), {
        "unattained_before_t2": int(np.count_nonzero(half & (kind == KIND_BELOW))),
        "t2_bracket": None if t2 is None else [t2.lo, t2.hi],
        "t2_at_half": bool(run is not None and pos[run[0]] == 0.5),
    }


# --- Theorems 1 and 4: the myopic closed forms ---------------------------------------------
def _closed_form_result(sol: Solution, theorem: str, q_cf: FloatArray, below_cf: np.ndarray,
                        v_cf: FloatArray, test: FloatArray, extra: dict[str, Any]
                        ) -> TheoremResult:
    """Compare a δ = 0 solve with a closed form: values everywhere, choices away from ties.

    The solver may return any candidate within TIE_Q·max(1, |V|) of the best (its tie rule),
    so that is the value tolerance, and a node whose closed-form comparison ``test`` is
    within it is a tie where either choice is right.
    """
    tie = TIE_Q * max(1.0, float(np.abs(sol.V).max()))
    dv = float(np.abs(sol.V - v_cf).max())
    below_sol = sol.kind == KIND_BELOW
    differs = (np.abs(sol.q - q_cf) > TIE_TOL) | (below_sol != below_cf)
    mismatch = differs & (np.abs(test) > tie)
    margin = tie - dv
    if mismatch.any():
        margin = min(margin, -_span(sol.grid.position, mismatch))
    return TheoremResult(theorem, margin >= 0.0, margin, {
        "max_value_difference": dv, "value_tolerance": tie,
        "policy_mismatches": int(np.count_nonzero(mismatch)),
        "mismatch_beliefs": sol.grid.belief[mismatch][:20].tolist(), **extra,
    })


def check_myopic_altruistic(sol: Solution) -> TheoremResult:
    """Theorem 1: the δ = 0 altruistic solve equals the closed form (values and choices)."""
    _require(sol, "Theorem 1", "altruistic", myopic=True)
    par, b = sol.params, sol.grid.belief
    full_cost = float(par.cost(1.0 - par.p))
    base = -par.C * np.minimum(np.minimum(b, 1.0 - b), 1.0 - par.p)
    q_cf = myopic_altruistic_policy(par, b)
    v_cf = np.where(q_cf == 1.0, -full_cost, base)
    return _closed_form_result(sol, "thm1", q_cf, np.zeros(b.shape, bool), v_cf,
                               base + full_cost, {"t_M": myopic_threshold(par)})


def check_myopic_biased(sol: Solution) -> TheoremResult:
    """Theorem 4: the δ = 0 biased solve equals the derived closed form (values and choices)."""
    from steerherd.structure import myopic_biased_value

    _require(sol, "Theorem 4", "biased", myopic=True)
    par, b = sol.params, sol.grid.belief
    q_cf, mode_cf = myopic_biased_policy(par, b)
    f, h, g = myopic_biased_tests(par, b)
    test = np.where(b < 1.0 - par.p, f, np.where(b < 0.5, h, np.where(b <= par.p, g, np.inf)))
    test = np.where(b == 0.5, np.inf, test)
    thr = myopic_biased_thresholds(par)
    res = _closed_form_result(sol, "thm4", q_cf, mode_cf == "obfuscate",
                              myopic_biased_value(par, b), test, {"thresholds": thr})
    gap = thr["t3"] - thr["t2"]
    strict = {"t2 < t3": {"holds": gap > 0.0, "margin": gap}}
    res.details["strict"] = strict
    return res
