"""Certified Theorem 2 violations: lower(b1) above the chord of upper, from the bounds."""

from __future__ import annotations

import json

import numpy as np

import steerherd as sh
from steerherd.cli import main
from steerherd.dp.bounds.certify import certify
from steerherd.model import LinearCost, Params
from steerherd.theory.certified import certify_concavity, chord_violation
from steerherd.theory.verify import check_instance, summarise

KINK = Params(planner="altruistic", p=0.8712, delta=0.3314, cost=LinearCost(1.8525))
SMOOTH = Params(planner="altruistic", p=0.8684, delta=0.587, cost=LinearCost(1.3689))


def test_known_kink_counterexample_is_certified() -> None:
    """Linear altruistic, kink at 1 − p with slope jump −0.76: certified, not just a grid."""
    rep = check_instance(KINK, beliefs=401, precisions=101)
    assert rep.status("thm2") == "violation" and rep.certified_violation
    cert = rep.curvature["certified"]
    w = cert["witness"]
    assert w["b0"] < w["b1"] < w["b2"] and w["b0"] <= 1 - KINK.p <= w["b2"]
    # Re-derive the witness from independently computed bounds at the same tolerance.
    bounds = certify(KINK, tol=1e-2)
    lo1, _ = bounds.at(w["b1"])
    _, up0 = bounds.at(w["b0"])
    _, up2 = bounds.at(w["b2"])
    chord = ((w["b2"] - w["b1"]) * up0 + (w["b1"] - w["b0"]) * up2) / (w["b2"] - w["b0"])
    assert float(lo1) - float(chord) > 1e-3
    row = summarise([rep])["theorems"]["thm2"]
    assert row["violations"] == 1 and row["certified"] == 1 and row["certify_timeouts"] == 0


def test_convex_instance_is_never_certified() -> None:
    """Where V* is convex on every grid, no triple may pass the chord test."""
    par = Params(planner="altruistic", p=0.7, delta=0.5, cost=LinearCost(0.5))
    from steerherd.theory.theorems import check_convexity

    assert check_convexity(sh.solve(par, beliefs=4001, precisions=401)).passed
    bounds = certify(par, tol=1e-4)
    assert chord_violation(bounds, list(np.linspace(0.0, 1.0, 41))) is None


def test_budget_spent_is_reported_not_certified() -> None:
    out = certify_concavity(SMOOTH, [0.9165], budget_s=0.2)
    assert not out["certified"] and out["timed_out"]
    rep = check_instance(SMOOTH, beliefs=201, precisions=51, certify_seconds=0)
    assert "certified" not in rep.curvature and not rep.certified_violation


def test_verify_json_counts_certified(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "r.json"
    main(["verify", "--instances", "4", "--seed", "1", "--beliefs", "101", "--precisions",
          "31", "--certify-seconds", "5", "--json", str(path)])
    rep = json.loads(path.read_text())
    assert rep["certify_seconds"] == 5
    assert {"certified_violations", "certify_timeouts"} <= set(rep)
    assert rep["theorems"]["thm2"]["certified"] == rep["certified_violations"]
