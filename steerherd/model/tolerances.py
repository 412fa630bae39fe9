r"""Every numerical tolerance of steerherd, in one table, each with the reason for its value.

=================  ========  =================================================================
name               value     why this value
=================  ========  =================================================================
``TIE_TOL``        1e-12     Beliefs and precisions closer than this are equal. A tie such as
                             q = max(b, 1 − b) that is exact on paper can be off by an ulp
                             (~1e-16) in float64; it must still count as a tie (the agent
                             follows its signal), and no two distinct candidates differ by so
                             little.
``SNAP_TOL``       1e-12     A successor belief closer than this to a breakpoint lands on it:
                             q = max(b, 1 − b) sends one successor to exactly 1/2 on paper, a
                             few ulps off in float64, and it must not be sent to the wrong side
                             of the jump at 1/2.
``ETA``            1e-9      A one-sided grid node x± is evaluated at x ± ETA: a proxy for the
                             limit whose error is ETA × the local slope of V (≤ 1e-9/(1 − δ)
                             per unit slope, far below any grid's discretisation error), yet
                             1000× above SNAP_TOL so that the nudged belief is not snapped back.
``TIE_Q``          1e-9      Candidates whose Q-values are within TIE_Q·max(1, |Q|) of the best
                             are ties, broken by candidate order, so that a reported mode never
                             depends on rounding. It is far above the solvers' own error
                             (ε ≤ 1e-10 by default) and far below any real difference in value.
``SIDE_TOL``       1e-12     A simulated agent takes a policy's one-sided limit only where q is
                             within this of its own switching precision: bit-equal for the agent
                             the policy was solved for, a few ulps for an equivalent one. It
                             must stay far below ETA (at 1/2 ± ETA switching precisions of
                             different agents differ by ~ETA).
``MERGE_TOL``      1e-12     The exact chain merges beliefs closer than this: paths reaching
                             one belief through different orders of signals differ by a few
                             ulps (~1e-16), far below it.
``Q_TOL``          1e-9      Theorem checks compare precisions (q* ≥ bound) with this slack:
                             exact candidates are exact to an ulp; it matches TIE_Q.
``LP_TOL``         1e-10     HiGHS's primal/dual feasibility tolerance: values are then
                             accurate to about this times the LP's scale, inside the 1e-8
                             agreement the LP cross-check promises.
``COST_CHECK_TOL`` 1e-12     Slack of the checks on a user's cost function (β(0) = 0, β ≥ 0,
                             monotone, concave) on a 1001-point grid: float noise in a user's
                             function should not be an error.
``NEWTON_TOL``     1e-10     The Behavioral fit's Newton steps stop below this (log-odds
                             units): far below the fitted weights' standard errors (≥ 1e-3
                             with any realistic sample).
``SEPARATION``     1e3       A fitted |w/λ| above this means the likelihood keeps rising to
                             infinity (separated data): the fit is refused, not reported.
``LOGIT_CAP``      50        |logit| is capped here, so that b ∈ {0, 1} or q = 1 give a finite
                             (saturated) log-odds instead of ∞ − ∞; e^-50 ≈ 2e-22 is below the
                             resolution of any probability reported.
``KINK_RTOL``      0.1       Sensitivity: one-sided slopes that disagree by more than 10 %
                             (relative) mark a kink; finite-difference noise is far below it.
``KINK_ATOL``      1e-6      Sensitivity: slopes below this are zero for the kink test.
=================  ========  =================================================================

Solver stopping rules (``SolverOptions.epsilon``, default 1e-10) are options, not
tolerances: they are the target of a certificate, stated with every Solution.
"""

from __future__ import annotations

TIE_TOL = 1e-12
SNAP_TOL = 1e-12
ETA = 1e-9
TIE_Q = 1e-9
SIDE_TOL = TIE_TOL
MERGE_TOL = 1e-12
Q_TOL = 1e-9
LP_TOL = 1e-10
COST_CHECK_TOL = 1e-12
NEWTON_TOL = 1e-10
SEPARATION = 1e3
LOGIT_CAP = 50.0
KINK_RTOL = 0.1
KINK_ATOL = 1e-6

__all__ = [
    "COST_CHECK_TOL",
    "ETA",
    "KINK_ATOL",
    "KINK_RTOL",
    "LOGIT_CAP",
    "LP_TOL",
    "MERGE_TOL",
    "NEWTON_TOL",
    "Q_TOL",
    "SEPARATION",
    "SIDE_TOL",
    "SNAP_TOL",
    "TIE_Q",
    "TIE_TOL",
]
