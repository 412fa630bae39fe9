"""Check the paper's theorems on a seeded random sweep of problems.

Each instance is solved on a (beliefs × precisions) grid and every applicable theorem is
checked (:mod:`steerherd.theory.theorems`). A theorem that fails is checked again on a grid
``refine_factor`` times finer in both beliefs and precisions, and classified:

* Theorem 2 (convexity), by curvature at fixed beliefs (:mod:`steerherd.theory.curvature`): at the
  failing nodes' beliefs, the second difference over stencils of fixed half-width H (1 and 4
  steps of the base grid) on both grids. A **violation** if it stays negative (``concave``: real
  concavity, smooth or a kink), or if the per-node slope jump on the finer grid has not
  shrunk at least :data:`SHRINK_FACTOR`-fold (``kink``: a jump that stays put as h → 0);
  otherwise a **discretisation artefact**. (Per-node slope jumps shrink like V''·h where V
  is smoothly concave, so their shrinking alone never makes a failure an artefact.)
  Then, with the certified bounds on the continuous problem (:mod:`steerherd.theory.certified`,
  a time budget per instance), a violation is **certified** when it holds for every function
  between lower and upper: lower(b1) above the chord of upper through b0 < b1 < b2. A
  certified violation is a violation whatever the curvature test said.
* Theorems 1, 3, 4, 5: a violation if the finer grid fails too, else an artefact. A Theorem 3
  failure is also tried against the bounds (:mod:`steerherd.theory.certified_claims`): its
  regime order (and t_A ≤ t_M) is a **certified** violation when no non-decreasing choice of
  the regimes the bounds allow exists; a certified violation is a violation whatever the
  finer grid said.

The paper's strict inequalities (Thm 3's d_A > 0, Thm 4's t₂ < t₃, Thm 5's 1/2 < t₂) are
claims of their own (``details["strict"]`` of each check): each is counted in its own column,
holds or fails on the base grid, and a failure is re-checked on the finer grid (it stays a
failure only if it fails there too; Thm 4's is a closed form, exact on any grid). A claim that
fails on the base grid is also judged by the bounds (as is d_A > 0 wherever the bounds are
computed anyway, and every claim with ``certify_all``): ``holds`` or ``fails`` for certain,
or ``undecided`` (:mod:`steerherd.theory.certified_claims`). A certified verdict overrides
the grids: certified ``fails`` is a failure, certified ``holds`` makes a grid failure an
artefact. All certified checks of an instance share one ladder of bounds and one time budget
(:func:`steerherd.theory.certified.certify_instance`). Nothing is dropped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from steerherd.errors import ParameterError, SteerherdError
from steerherd.model import Params
from steerherd.model.costs import LinearCost, PowerCost
from steerherd.theory.theorems import THEOREMS, TITLES, TheoremResult, check_all

#: The strict inequality each theorem's check reports on its own, by theorem.
STRICT_CLAIMS = {"thm3": "d_A > 0", "thm4": "t2 < t3", "thm5": "1/2 < t2"}

#: The sweep's ranges (uniform draws; rounded to 4 decimals so printed parameters reproduce).
P_RANGE = (0.55, 0.95)
K_RANGE = (0.05, 2.0)
DELTA_RANGE = (0.0, 0.95)
ALPHA_RANGE = (0.3, 0.9)
#: A Thm 2 failure whose per-node margin shrinks less than this under refinement is a kink.
SHRINK_FACTOR = 2.0
#: Default time budget (seconds) per failing instance for the certified Thm 2 check.
CERTIFY_SECONDS = 20.0
#: The counts of the bounds' verdicts on each strict claim (``tried`` = judged at all).
CERTIFIED_KEYS = ("tried", "holds", "fails", "undecided", "n/a")
#: Share of instances with δ = 0 exactly (where Theorems 1 and 4 apply).
MYOPIC_SHARE = 0.25


def sample_params(n: int, rng: np.random.Generator) -> list[Params]:
    """``n`` random problems: planner, p, k, δ and cost family (linear or power), C = 1."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ParameterError(f"the number of instances must be a whole number >= 1, got {n!r}")
    out = []
    for _ in range(n):
        planner = "altruistic" if rng.random() < 0.5 else "biased"
        p = round(float(rng.uniform(*P_RANGE)), 4)
        k = round(float(rng.uniform(*K_RANGE)), 4)
        delta = 0.0 if rng.random() < MYOPIC_SHARE else round(float(rng.uniform(*DELTA_RANGE)), 4)
        if rng.random() < 0.5:
            cost: LinearCost | PowerCost = LinearCost(k=k)
        else:
            cost = PowerCost(k=k, alpha=round(float(rng.uniform(*ALPHA_RANGE)), 4))
        out.append(Params(planner=planner, p=p, delta=delta, cost=cost))  # type: ignore[arg-type]
    return out


@dataclass(frozen=True)
class InstanceReport:
    """The checks of one instance.

    Attributes:
        params: the problem.
        results: the checks on the base grid.
        refined: for each theorem that failed there (or whose strict claim failed), its check
            on the finer grid.
        error: the solver's message if it failed (then nothing was checked).
        seconds: wall time of the solves and checks.
        curvature: for a Thm 2 failure, the curvature evidence (``evidence``: one
            :meth:`~steerherd.curvature.CurvatureEvidence.to_dict` per belief; ``concave``,
            ``kink``: the verdicts; ``certified``: the bounds' verdict,
            :func:`~steerherd.theory.certified.certify_concavity`, when a budget was given);
            empty when no curvature test was run.
        certified: the bounds' verdicts on Theorem 3's order and the strict claims
            (``claims``: per name, as :func:`~steerherd.theory.certified_claims.judge` gives
            it, with ``tol``), and ``seconds``, ``timed_out``, ``tol``, ``max_gap`` of the
            ladder; empty when the bounds were not tried.
    """

    params: Params
    results: tuple[TheoremResult, ...] = ()
    refined: dict[str, TheoremResult] = field(default_factory=dict)
    error: str | None = None
    seconds: float = 0.0
    curvature: dict[str, Any] = field(default_factory=dict)
    certified: dict[str, Any] = field(default_factory=dict)

    def status(self, theorem: str) -> str | None:
        """``pass``, ``artefact``, ``violation`` or None (see the module's rules)."""
        for r in self.results:
            if r.theorem == theorem:
                if r.passed:
                    return "pass"
                if theorem == "thm2" and self.curvature:
                    real = self.curvature["concave"] or self.curvature["kink"] \
                        or self.certified_violation
                    return "violation" if real else "artefact"
                if theorem == "thm3" and self.certified_order_violation:
                    return "violation"
                return "artefact" if self.refined[theorem].passed else "violation"
        return None

    @property
    def certified_order_violation(self) -> bool:
        """Whether the bounds certify a violation of Theorem 3's regime order."""
        return bool(self.certified.get("claims", {}).get("thm3", {}).get("violated", False))

    def certified_claim(self, theorem: str) -> str | None:
        """The bounds' verdict on the theorem's strict claim, or None when not judged."""
        claim = STRICT_CLAIMS.get(theorem)
        verdict = self.certified.get("claims", {}).get(claim)
        return None if verdict is None else str(verdict["status"])

    @property
    def certified_violation(self) -> bool:
        """Whether the continuous-problem bounds certify the Thm 2 failure."""
        return bool(self.curvature.get("certified", {}).get("certified", False))

    def strict_status(self, theorem: str) -> str | None:
        """The theorem's strict claim: ``holds``, ``fails``, ``artefact`` or None.

        ``artefact`` means it fails on the base grid but not for certain: on the finer grid
        it holds, or the bounds certify that it holds; a certified failure is ``fails``
        whatever the grids say. None: not applicable or not reported.
        """
        claim = STRICT_CLAIMS.get(theorem)
        cert = self.certified_claim(theorem)
        for r in self.results:
            if r.theorem == theorem and claim in r.details.get("strict", {}):
                if cert == "fails":
                    return "fails"
                if r.details["strict"][claim]["holds"]:
                    return "holds"
                if cert == "holds":
                    return "artefact"
                fine = self.refined.get(theorem)
                held = fine is not None and fine.details.get("strict", {}).get(
                    claim, {}).get("holds", False)
                return "artefact" if held else "fails"
        return None


def check_instance(params: Params, beliefs: int = 401, precisions: int = 101,
                   refine_factor: int = 4, method: str = "pi",
                   certify_seconds: float = CERTIFY_SECONDS,
                   certify_all: bool = False) -> InstanceReport:
    """Solve one problem and check its theorems, re-checking failures on a finer grid.

    Thm 2 and Thm 3 failures and failed strict claims (every strict claim with
    ``certify_all``) are also tried against certified bounds, within ``certify_seconds`` for
    the instance (0: not tried; see the module docstring).
    """
    from steerherd.api import solve
    from steerherd.theory.certified import certify_instance
    from steerherd.theory.curvature import curvature_evidence

    start = time.perf_counter()
    try:
        sol = solve(params, beliefs=beliefs, precisions=precisions, method=method)
        results = check_all(sol)
        refined: dict[str, TheoremResult] = {}
        curvature: dict[str, Any] = {}
        failed = {r.theorem for r in results if not r.passed} | {
            r.theorem for r in results
            if not all(c["holds"] for c in r.details.get("strict", {}).values())}
        if failed:
            fine = solve(params, beliefs=refine_factor * (beliefs - 1) + 1,
                         precisions=refine_factor * (precisions - 1) + 1, method=method)
            refined = {r.theorem: r for r in check_all(fine) if r.theorem in failed}
            base2 = next((r for r in results if r.theorem == "thm2" and not r.passed), None)
            if base2 is not None:
                evidence = curvature_evidence([sol, fine], base2.details["failing_beliefs"])
                fine2 = refined["thm2"]
                kink = (not fine2.passed) and fine2.margin * SHRINK_FACTOR <= base2.margin
                curvature = {"evidence": [e.to_dict() for e in evidence],
                             "concave": any(e.concave for e in evidence), "kink": bool(kink)}
        base2 = next((r for r in results if r.theorem == "thm2" and not r.passed), None)
        want = _claims_to_certify(results, certify_all, base2 is not None)
        certified: dict[str, Any] = {}
        if certify_seconds > 0 and (base2 is not None or want):
            out = certify_instance(params, None if base2 is None
                                   else base2.details["failing_beliefs"], want, certify_seconds)
            if base2 is not None:
                curvature["certified"] = out.pop("concavity")
            if want:
                out.pop("concavity", None)
                certified = out
    except SteerherdError as exc:
        return InstanceReport(params, error=str(exc), seconds=time.perf_counter() - start)
    return InstanceReport(params, tuple(results), refined, seconds=time.perf_counter() - start,
                          curvature=curvature, certified=certified)


def _claims_to_certify(results: list[TheoremResult], every: bool, bounds_anyway: bool
                       ) -> set[str]:
    """What the bounds are asked to judge: Thm 3's order if it failed, failed strict claims.

    Also d_A > 0 where the bounds are computed anyway (``bounds_anyway``: a Thm 2 or Thm 3
    failure), and every strict claim when ``every``.
    """
    want: set[str] = set()
    for r in results:
        if r.theorem == "thm3" and not r.passed:
            want.add("thm3")
        for claim, c in r.details.get("strict", {}).items():
            if every or not c["holds"]:
                want.add(claim)
    if bounds_anyway or "thm3" in want:
        want |= {STRICT_CLAIMS["thm3"]} & {c for r in results
                                            for c in r.details.get("strict", {})}
    return want


def run_sweep(params: Iterable[Params], beliefs: int = 401, precisions: int = 101,
              refine_factor: int = 4, progress: Callable[[], None] | None = None,
              certify_seconds: float = CERTIFY_SECONDS,
              certify_all: bool = False, jobs: int = 1) -> list[InstanceReport]:
    """Check every instance, in order; ``progress`` is called after each.

    ``jobs`` > 1 checks instances in that many worker processes (spawned); the reports are
    the same, except where a certified check's wall-clock budget decides.
    """
    from functools import partial

    one = partial(check_instance, beliefs=beliefs, precisions=precisions,
                  refine_factor=refine_factor, certify_seconds=certify_seconds,
                  certify_all=certify_all)
    reports = []
    if jobs <= 1:
        for par in params:
            reports.append(one(par))
            if progress is not None:
                progress()
        return reports
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        for rep in pool.map(one, params):
            reports.append(rep)
            if progress is not None:
                progress()
    return reports


def describe(params: Params) -> dict[str, Any]:
    """The parameters that identify an instance, flat and JSON-ready."""
    cost = params.cost.to_dict()
    return {"planner": params.planner, "p": params.p, "k": cost.get("k"),
            "delta": params.delta, "cost": cost["family"], "alpha": cost.get("alpha")}


def summarise(reports: list[InstanceReport]) -> dict[str, Any]:
    """Summarise verification results per theorem.

    Per theorem: instances checked, violations (of which concave, kink: Thm 2; certified
    by the bounds and not certified in time: Thm 2, Thm 3), artefacts, the strict claim
    (checked, fails, artefacts, and the bounds' verdicts: tried, holds, fails, undecided,
    n/a), worst margin and where.
    """
    table: dict[str, dict[str, Any]] = {}
    findings: list[dict[str, Any]] = []
    strict_findings: list[dict[str, Any]] = []
    for thm in THEOREMS:
        row: dict[str, Any] = {"title": TITLES[thm], "checked": 0, "violations": 0,
                               "concave": 0, "kink": 0, "certified": 0,
                               "certify_timeouts": 0, "artefacts": 0,
                               "worst_margin": None, "worst_at": None}
        claim = STRICT_CLAIMS.get(thm)
        if claim is not None:
            row["strict"] = {"claim": claim, "checked": 0, "fails": 0, "artefacts": 0,
                             "certified": dict.fromkeys(CERTIFIED_KEYS, 0)}
        for rep in reports:
            status = rep.status(thm)
            if status is None:
                continue
            row["checked"] += 1
            res = next(r for r in rep.results if r.theorem == thm)
            strict = rep.strict_status(thm)
            if claim is not None and strict is not None:
                row["strict"]["checked"] += 1
                row["strict"]["fails"] += int(strict == "fails")
                row["strict"]["artefacts"] += int(strict == "artefact")
                cert = rep.certified_claim(thm)
                if cert is not None:
                    row["strict"]["certified"]["tried"] += 1
                    row["strict"]["certified"][cert] += 1
                if strict != "holds":
                    strict_findings.append(_finding(rep, thm, "strict " + strict, res, claim))
            if row["worst_margin"] is None or res.margin < row["worst_margin"]:
                row["worst_margin"], row["worst_at"] = res.margin, describe(rep.params)
            if status == "pass":
                continue
            if thm == "thm2" and rep.curvature.get("certified"):
                row["certified"] += int(rep.certified_violation)
                row["certify_timeouts"] += int(rep.curvature["certified"]["timed_out"])
            if thm == "thm3" and "thm3" in rep.certified.get("claims", {}):
                row["certified"] += int(rep.certified_order_violation)
                row["certify_timeouts"] += int(rep.certified["timed_out"]
                                               and not rep.certified_order_violation)
            row["violations" if status == "violation" else "artefacts"] += 1
            if thm == "thm2" and rep.curvature and status == "violation":
                row["concave"] += int(rep.curvature["concave"])
                row["kink"] += int(rep.curvature["kink"] and not rep.curvature["concave"])
            findings.append(_finding(rep, thm, status, res))
        table[thm] = row
    # Where obfuscation reaches 1/2 (t2 = 1/2): the usual way Thm 5's 1/2 < t2 fails.
    table["thm5"]["t2_at_half"] = sum(
        bool(r.details.get("t2_at_half")) for rep in reports for r in rep.results
        if r.theorem == "thm5")
    errors = [{"params": describe(r.params), "error": r.error} for r in reports if r.error]
    return {"theorems": table, "findings": findings, "strict_findings": strict_findings,
            "errors": errors, "instances": len(reports),
            "genuine_violations": sum(f["kind"] == "violation" for f in findings),
            # Thm 2's (the name older reports used); each theorem's in its row.
            "certified_violations": table["thm2"]["certified"],
            "certify_timeouts": table["thm2"]["certify_timeouts"],
            "certified_order_violations": table["thm3"]["certified"],
            "certified_strict": {table[t]["strict"]["claim"]: table[t]["strict"]["certified"]
                                 for t in STRICT_CLAIMS},
            "strict_failures": sum(f["kind"] == "strict fails" for f in strict_findings)}


def _finding(rep: InstanceReport, thm: str, kind: str, res: TheoremResult,
             claim: str | None = None) -> dict[str, Any]:
    """One failure, with its parameters, margins and evidence."""
    fine = rep.refined.get(thm)
    out: dict[str, Any] = {
        "theorem": thm, "kind": kind, "params": describe(rep.params),
        "margin": (res.details["strict"][claim]["margin"] if claim else res.margin),
        "refined_margin": None if fine is None else (
            fine.details.get("strict", {}).get(claim, {}).get("margin") if claim
            else fine.margin),
        "details": res.details, "refined_details": None if fine is None else fine.details,
        # Kept for readers of older reports: the per-node margin shrank >= 2x when refined.
        # Informational only; it classifies nothing (see the module's rules).
        "shrinking": bool(fine is not None and not claim and fine.margin < 0
                          and fine.margin * SHRINK_FACTOR > res.margin),
    }
    if claim:
        out["claim"] = claim
    if thm == "thm2" and rep.curvature and not claim:
        out["curvature"] = rep.curvature
    verdicts = rep.certified.get("claims", {})
    key = claim if claim else thm
    if key in verdicts:
        out["certified"] = {**verdicts[key], "ladder_seconds": rep.certified["seconds"]}
    return out
