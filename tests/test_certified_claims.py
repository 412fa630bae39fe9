"""Theorem 3's order and the strict claims judged by the certified bounds."""

from __future__ import annotations

import numpy as np
import pytest

import steerherd as sh
from steerherd.dp.bounds.certify import certify
from steerherd.model import LinearCost, Params, PowerCost
from steerherd.structure import myopic_biased_policy, myopic_biased_thresholds
from steerherd.theory.certified import certify_instance
from steerherd.theory.certified_claims import CellFacts, cell_facts, judge, thm3_order
from steerherd.theory.verify import check_instance, summarise

#: Grid Thm 3 failure from the 2,000-instance sweep (seed 2026): full, then q = p near 1/3.
ORDER = Params(planner="altruistic", p=0.9222, delta=0.8167, cost=PowerCost(1.8131, 0.8238))
#: δ = 0 biased, linear k = 0.5 ≥ C(2p − 1): obfuscation on all of (1/2, p] (t₂ = 1/2).
AT_HALF = Params(planner="biased", p=0.7, delta=0.0, cost=LinearCost(0.5))


def _facts(lo: list[float], hi: list[float], certain: dict[str, list[int]]) -> CellFacts:
    n = len(lo)
    modes = ("baseline", "full", "informative", "obfuscate", "other")
    sure = {m: np.isin(np.arange(n), certain.get(m, [])) for m in modes}
    none = {m: np.zeros(n, bool) for m in modes[:4]}
    return CellFacts(np.array(lo), np.array(hi), sure, none, 1e-3)


def test_order_walk_on_synthetic_facts() -> None:
    """Full certain, then q = p certain nearer 1/2: no monotone choice (or not, if allowed)."""
    par = Params(planner="altruistic", p=0.6, delta=0.5, cost=LinearCost(5.0))  # t_M = 1/2
    lo = [0.0, 0.0, 0.05, 0.2, 0.3, 0.4, 0.5]
    hi = [0.0, 0.05, 0.2, 0.3, 0.4, 0.5, 0.5]
    bad = thm3_order(_facts(lo, hi, {"baseline": [1], "full": [2], "other": []}), par)
    assert not bad["violated"]  # baseline then full: the theorem's order
    bad = thm3_order(_facts(lo, hi, {"full": [2], "baseline": [3]}), par)
    assert bad["violated"] and bad["witness"]["cell"] == [0.2, 0.3]
    assert bad["witness"]["forced_by"] == [0.05, 0.2] and bad["witness"]["allowed"] == [0]
    # Undecided cells in between change nothing; q = p on [1 - p, 1/2] is rank 0 or 1 only.
    bad = thm3_order(_facts(lo, hi, {"full": [2], "baseline": [5]}), par)
    assert bad["violated"] and bad["witness"]["allowed"] == [0, 1]
    assert not thm3_order(_facts(lo, hi, {"informative": [2], "baseline": [5]}), par)["violated"]
    # A certain "other" (none of p, max(p, b, 1 - b), 1) is never allowed.
    assert thm3_order(_facts(lo, hi, {"other": [3]}), par)["violated"]


def test_known_order_violation_is_certified_and_matches_a_fine_grid() -> None:
    out = certify_instance(ORDER, None, {"thm3", "d_A > 0"}, budget_s=60)
    verdict = out["claims"]["thm3"]
    assert verdict["violated"], verdict
    w = verdict["witness"]
    assert w["rank_before"] == 2 and 2 not in w["allowed"]
    # Independent: a fine grid's modes at the two cells say the same (full, then not full).
    sol = sh.solve(ORDER, beliefs=4001, precisions=401)
    assert sol.mode(0.5 * sum(w["forced_by"])) == "full"
    assert sol.mode(0.5 * sum(w["cell"])) != "full"
    rep = check_instance(ORDER, beliefs=201, precisions=51, certify_seconds=60)
    assert rep.status("thm3") == "violation" and rep.certified_order_violation
    row = summarise([rep])["theorems"]["thm3"]
    assert row["violations"] == row["certified"] == 1 and row["certify_timeouts"] == 0


def test_convex_regimes_are_not_a_certified_violation() -> None:
    """Where the grid order holds (baseline, informative, full), the bounds find nothing."""
    par = Params(planner="altruistic", p=0.7, delta=0.5, cost=LinearCost(0.5))
    for tol in (1e-2, 1e-3, 1e-4):
        assert not judge(certify(par, tol=tol), {"thm3"})["thm3"]["violated"]


def test_d_a_bracket_holds_and_contains_the_grid_threshold() -> None:
    par = Params(planner="altruistic", p=0.7, delta=0.5, cost=LinearCost(0.5))
    verdict = judge(certify(par, tol=1e-4), {"d_A > 0"})["d_A > 0"]
    assert verdict["status"] == "holds"
    lo, hi = verdict["bracket_from_0"]
    assert 0.0 < lo <= hi and verdict["bracket_from_1"] == pytest.approx([lo, hi])
    d_a = sh.solve(par, beliefs=8001, precisions=801).thresholds["d_A"]
    assert d_a is not None and lo - 2e-4 <= d_a.value <= hi + 2e-4


def test_half_below_t2_failure_is_certified_and_agrees_with_the_closed_form() -> None:
    b = np.linspace(0.5, AT_HALF.p, 202)[1:]
    assert set(myopic_biased_policy(AT_HALF, b)[1]) == {"obfuscate"}  # t2 = 1/2 exactly
    out = certify_instance(AT_HALF, None, {"1/2 < t2"}, budget_s=30)
    verdict = out["claims"]["1/2 < t2"]
    assert verdict["status"] == "fails" and verdict["t2_bracket"] == [0.5, 0.5]
    rep = check_instance(AT_HALF, beliefs=201, precisions=51, certify_seconds=30)
    assert rep.strict_status("thm5") == "fails" and rep.certified_claim("thm5") == "fails"


def test_half_below_t2_holds_with_a_bracket_around_the_closed_form() -> None:
    par = Params(planner="biased", p=0.81, delta=0.0, cost=PowerCost(0.7, 0.3))
    verdict = judge(certify(par, tol=1e-3), {"1/2 < t2"})["1/2 < t2"]
    assert verdict["status"] == "holds"
    lo, hi = verdict["t2_bracket"]
    assert 0.5 < lo <= myopic_biased_thresholds(par)["t5"] <= hi


def test_t2_below_t3_holds_inside_the_closed_form_regime() -> None:
    par = Params(planner="biased", p=0.7, delta=0.0, cost=LinearCost(0.2))
    thr = myopic_biased_thresholds(par)  # t2 = 1 - p = 0.3, t3 = 0.4
    verdict = judge(certify(par, tol=1e-4), {"t2 < t3"})["t2 < t3"]
    assert verdict["status"] == "holds"
    lo, hi = verdict["certain_cells"]
    assert thr["t2"] <= lo < hi <= thr["t3"] <= verdict["t3_upper"]


def test_t2_equal_t3_is_undecided_but_bounded() -> None:
    """t2 = t3 = 1 - p: value bounds cannot exclude q = 1 - b next to 1 - p (it is p there)."""
    verdict = judge(certify(AT_HALF, tol=1e-4), {"t2 < t3"})["t2 < t3"]
    assert verdict["status"] == "undecided" and verdict["certain_cells"] is None
    assert 1 - AT_HALF.p < verdict["t3_upper"] < 1 - AT_HALF.p + 0.01


def test_a_tight_budget_leaves_the_claim_undecided() -> None:
    par = Params(planner="biased", p=0.6, delta=0.8, cost=LinearCost(0.5))
    out = certify_instance(par, None, {"1/2 < t2"}, budget_s=0.3)
    assert out["timed_out"] and out["claims"]["1/2 < t2"]["status"] == "undecided"
    out = certify_instance(par, None, {"1/2 < t2"}, budget_s=60)  # decided with time
    assert not out["timed_out"] and out["claims"]["1/2 < t2"]["status"] == "fails"


@pytest.mark.parametrize("par", [
    Params(planner="altruistic", p=0.7, delta=0.5, cost=LinearCost(0.5)),
    Params(planner="biased", p=0.6, delta=0.8, cost=LinearCost(0.5)),
], ids=["altruistic", "biased"])
def test_certain_and_excluded_modes_agree_with_a_fine_grid(par: Params) -> None:
    facts = cell_facts(certify(par, tol=1e-3))
    sol = sh.solve(par, beliefs=8001, precisions=801)
    # Cells where the neighbourhoods of p, max(b, 1 - b) and 1 are apart (the grid's names
    # are the raw modes there).
    c_lo = np.minimum(np.maximum(facts.lo, 1 - facts.lo), np.maximum(facts.hi, 1 - facts.hi))
    c_hi = np.maximum(np.maximum(facts.lo, 1 - facts.lo), np.maximum(facts.hi, 1 - facts.hi))
    inner = (facts.hi > facts.lo) & ((c_lo > par.p + 2e-3) | (c_hi < par.p - 2e-3)) \
        & (c_hi < 1 - 2e-3) & (np.abs(facts.lo - par.p) > 2e-3)
    mode = sol.mode(0.5 * (facts.lo + facts.hi))
    for m in ("baseline", "full", "obfuscate"):
        assert np.all(mode[facts.certain[m] & inner] == m), m
        assert not np.any(mode[facts.excluded[m] & inner] == m), m
    assert facts.certain["baseline"].any() and facts.excluded["baseline"].any()


def test_verify_json_has_the_certified_columns(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from steerherd.cli import main

    path = tmp_path / "r.json"
    main(["verify", "--instances", "8", "--seed", "3", "--beliefs", "101", "--precisions",
          "31", "--certify-seconds", "5", "--json", str(path)])
    rep = json.loads(path.read_text())
    assert set(rep["certified_strict"]) == {"d_A > 0", "t2 < t3", "1/2 < t2"}
    tried = 0
    for thm in ("thm3", "thm4", "thm5"):
        cert = rep["theorems"][thm]["strict"]["certified"]
        assert cert == rep["certified_strict"][rep["theorems"][thm]["strict"]["claim"]]
        assert cert["tried"] == cert["holds"] + cert["fails"] + cert["undecided"] + cert["n/a"]
        tried += cert["tried"]
    assert tried > 0 and rep["certified_order_violations"] == rep["theorems"]["thm3"]["certified"]
    # A certified failure is a failure: never fewer failures than certified ones.
    for thm in ("thm3", "thm4", "thm5"):
        st = rep["theorems"][thm]["strict"]
        assert st["fails"] >= st["certified"]["fails"]


def test_worker_processes_give_the_same_reports() -> None:
    from steerherd.theory.verify import run_sweep, sample_params

    params = sample_params(3, np.random.default_rng(4))
    one = run_sweep(params, 101, 31, certify_seconds=0)
    two = run_sweep(params, 101, 31, certify_seconds=0, jobs=2)
    assert [r.params for r in one] == [r.params for r in two]
    for a, b in zip(one, two, strict=True):
        assert [(r.theorem, r.passed, r.margin) for r in a.results] == [
            (r.theorem, r.passed, r.margin) for r in b.results]


def test_certified_verdicts_override_the_grids() -> None:
    from steerherd.theory.theorems import TheoremResult
    from steerherd.theory.verify import InstanceReport

    par = Params(planner="altruistic", p=0.7, delta=0.5, cost=LinearCost(0.5))

    def thm3(passed: bool, d_a: bool) -> TheoremResult:
        return TheoremResult("thm3", passed, 0.0 if passed else -0.1,
                             {"strict": {"d_A > 0": {"holds": d_a, "margin": 0.1 if d_a else 0}}})

    def report(order: bool, claim: str) -> InstanceReport:
        return InstanceReport(par, (thm3(False, False),), {"thm3": thm3(True, False)},
                              certified={"claims": {"thm3": {"violated": order},
                                                    "d_A > 0": {"status": claim}}})

    assert report(False, "undecided").status("thm3") == "artefact"  # the finer grid passes
    assert report(True, "undecided").status("thm3") == "violation"  # ... but certified
    assert report(False, "undecided").strict_status("thm3") == "fails"  # both grids fail
    assert report(False, "holds").strict_status("thm3") == "artefact"  # the bounds say holds
    held = InstanceReport(par, (thm3(True, True),),
                          certified={"claims": {"d_A > 0": {"status": "fails"}}})
    assert held.strict_status("thm3") == "fails"
