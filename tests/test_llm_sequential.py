"""Sequential runs with FakeChat: common random numbers, Bayesian bookkeeping, scoring."""

from __future__ import annotations

import numpy as np
import pytest

from steerherd.llm import analysis
from steerherd.llm.client import FakeChat
from steerherd.llm.runner import execute, open_store
from steerherd.model import action_good, is_informative, posterior
from tests.llm_helpers import responder, small_config


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    cfg = small_config(beliefs=None, policy=None,
                       sequential={"runs": 3, "agents": 6, "states": ["B", "G"],
                                   "planners": ["altruistic", "biased"],
                                   "horizons": ["myopic", "forward"],
                                   "settings": ["analytical", "hybrid", "always_full"]})
    store = open_store(cfg, tmp_path_factory.mktemp("seq"))
    execute(cfg, store, FakeChat(responder=responder))
    return cfg, store.records("sequential")


def test_bayesian_runs_follow_the_model(runs):
    _, recs = runs
    for r in recs:
        if r["setting"] not in ("analytical", "always_full", "baseline_bayesian"):
            continue
        b = 0.5
        for s in r["steps"]:
            assert s["belief"] == pytest.approx(b)
            assert s["bought"] == bool(action_good(b, s["precision"], s["signal_good"]))
            if is_informative(b, s["precision"]):
                b = float(posterior(b, s["precision"], s["bought"]))


def test_always_full_is_always_right(runs):
    cfg, recs = runs
    for r in recs:
        if r["setting"] == "always_full":
            assert all(s["bought"] == (r["state"] == "G") for s in r["steps"])
    rows = analysis.analyse_sequential(recs, cfg.model)["rows"]
    full = [x for x in rows if x["setting"] == "always_full"]
    assert full and all(x["welfare_pct"] >= 100 for x in full)  # q = 1 never hurts welfare


def test_common_random_numbers(runs):
    cfg, recs = runs
    for r in recs:  # every setting of run r draws its signals from the same uniforms
        good = r["state"] == "G"
        u = np.random.default_rng([cfg.seed, r["run"], int(good)]).random(6)
        for i, s in enumerate(r["steps"]):
            assert (s["signal_good"] == good) == (u[i] < s["precision"])


def test_hybrid_uses_the_optimal_precisions(runs):
    _, recs = runs
    hybrid = [r for r in recs if r["setting"] == "hybrid" and r["planner"] == "altruistic"]
    assert hybrid and all(0.7 <= s["precision"] <= 1.0 for r in hybrid for s in r["steps"])


#: Monte Carlo means must lie within this many standard errors of the exact expectation.
N_SE = 4.0


@pytest.mark.parametrize("planner", ["altruistic", "biased"])
def test_monte_carlo_matches_exact(tmp_path, planner):
    cfg = small_config(beliefs=None, policy=None,
                       sequential={"runs": 300, "agents": 5, "states": ["B"],
                                   "planners": [planner], "horizons": ["forward"],
                                   "settings": ["analytical", "always_full"]})
    store = open_store(cfg, tmp_path)
    execute(cfg, store, None)  # Bayesian agents and fixed policies: no calls at all
    recs = store.records("sequential")
    for setting in ("analytical", "always_full"):
        ex = analysis.exact_percentages(cfg.model, setting, planner, "forward", "B", 5)
        scores = np.array([analysis._score_run(r, cfg.model) for r in recs
                           if r["setting"] == setting])
        for col, key in ((0, "welfare"), (1, "expenditure")):
            x = scores[:, col]
            se = x.std(ddof=1) / np.sqrt(x.size)
            assert abs(x.mean() - ex[key]) <= N_SE * se + 1e-12, (setting, key)
    base = np.array([analysis._score_run(r, cfg.model)[0] for r in recs
                     if r["setting"] == "baseline_bayesian"])
    assert abs(base.mean() - ex["baseline_welfare"]) <= N_SE * base.std(ddof=1) / np.sqrt(300)
