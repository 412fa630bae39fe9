"""Validation as a test (issue 13.10): end to end through the CLI against a scripted
OpenAI-compatible server whose agents are exact Bayesians and whose planner is exactly
optimal. The harness must then measure what the model says: no policy deviation, update
ratios of 1, Behavioral weights of (1, 1, 1), and LLM = hybrid = analytical welfare."""

from __future__ import annotations

import json

import pytest

from steerherd.cli import main
from tests.llm_helpers import Scripted
from tests.llm_mock_server import MockState, mock_server

CONFIG = """
name = "validation"
seed = 13
[backend]
kind = "openai"
base_url = "{url}"
model = "exact"
[calls]
max_calls = 5000
concurrency = 4
[beliefs]
public_beliefs = [0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9]
precisions = [0.6, 0.7, 0.8, 0.9]
[policy]
public_beliefs = [0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
planners = ["altruistic", "biased"]
horizons = ["myopic", "forward"]
[sequential]
runs = 20
agents = 5
settings = ["analytical", "llm", "hybrid", "llm_planner_bayesian"]
planners = ["altruistic", "biased"]
horizons = ["forward"]
states = ["B", "G"]
"""
#: Monte Carlo agreement: within this many (combined) standard errors.
N_SE = 4.0


@pytest.fixture(scope="module")
def analysis(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("validation")
    state = MockState(answer=Scripted())
    with mock_server(state) as (url, _):
        cfg = tmp / "v.toml"
        cfg.write_text(CONFIG.format(url=url))
        assert main(["llm", "run", str(cfg), "--out", str(tmp / "run"), "--no-cache"]) == 0
    return json.loads((tmp / "run" / "analysis.json").read_text())


def test_every_answer_parsed(analysis):
    for role, stats in analysis["calls"].items():
        assert stats["parse_failures"] == 0, role


def test_policy_deviation_under_one_percent(analysis):
    for key, res in analysis["policy"].items():
        assert res["parsed"] == res["n"] == 11
        assert res["mean_deviation"][0] < 1.0, key


def test_update_ratios_within_their_intervals_of_one(analysis):
    for side, (mean, se, n) in analysis["beliefs"]["update_ratio"].items():
        assert n > 10 and abs(mean - 1.0) <= N_SE * se + 1e-9, (side, mean, se)


def test_behavioral_intervals_cover_one(analysis):
    fit = analysis["beliefs"]["fit"]
    for name in ("w_prior", "w_agree", "w_disagree"):
        lo, hi = fit[name]["ci95"]
        assert lo <= 1.0 <= hi, (name, fit[name])


def test_llm_equals_hybrid_equals_analytical(analysis):
    rows = {(r["setting"], r["planner"], r["state"]): r for r in analysis["sequential"]["rows"]}
    for planner in ("altruistic", "biased"):
        for state in ("B", "G"):
            ref = rows[("analytical", planner, state)]
            for setting in ("llm", "hybrid", "llm_planner_bayesian"):
                row = rows[(setting, planner, state)]
                assert row["runs"] == 20 and row["dropped"] == 0
                for col in ("welfare_pct", "expenditure_pct"):
                    m, se = row[col], row[f"{col}_se"]
                    m0, se0 = ref[col], ref[f"{col}_se"]
                    assert abs(m - m0) <= N_SE * (se**2 + se0**2) ** 0.5 + 1e-9, \
                        (setting, planner, state, col, m, m0)
            exact = ref["exact"]["welfare_pct"]
            m, se = ref["welfare_pct"], ref["welfare_pct_se"]
            assert abs(m - exact) <= N_SE * se + 1e-9  # the estimator targets the exact value
