"""Pure analysis of stored records: beliefs vs Bayes, policy vs the optimum, welfare.

Definitions (ours; MODEL.md §4 leaves them open):

* **Update ratio** of an agent answer: (reported − b) / (Bayes posterior − b), the share of
  the Bayesian update the agent made. NB1 (under-reaction to a signal that agrees with the
  public belief) shows as a mean ratio < 1 on agreeing signals; NB2 (over-reaction to a
  contradicting one) as a ratio > 1 on contradicting signals.
* **Follow rate**: the share of answers whose action follows a signal that does not agree
  with the public belief (contradicting, or any signal at b = 1/2), against the Bayesian
  agent's (1 inside 1 − q ≤ b ≤ q, 0 outside: it herds). NB3 (a stronger public belief is
  needed before cascading) shows as a follow rate above 0 outside the interval.
* **Percentage policy deviation** at a belief: |q_LLM − q*| / 0.5 × 100, with q* the
  optimum for the same parameters (``steerherd.solve``; for a supremum, the limit value).
* **Welfare** of a run: C × (number of agents whose action equals ω), the agents' utility
  shifted by C per agent so that it is positive; **expenditure**: Σ β(|q_i − p|). Both are
  reported as % of the mean welfare of the no-control baseline (q = p for everyone) with
  the same kind of agents, the same state and the same random numbers; error bars are
  standard errors over runs.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import numpy as np

from steerherd.llm.config import ModelConfig
from steerherd.llm.sequential import SETTINGS, optimum
from steerherd.sim.summaries import mean_se as _mean_se
from steerherd.sim.summaries import welfare_row

#: Deviation under which a belief state counts as "close" (the paper's 10%).
CLOSE_PERCENT = 10.0


def analyse_beliefs(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Reported beliefs against the Bayesian posterior, by agreement with the public belief."""
    ok = [r for r in records if r["ok"]]
    rows = []
    groups: dict[str, list[float]] = defaultdict(list)
    follow: dict[str, list[float]] = defaultdict(list)
    for r in ok:
        b, q, good = r["public_belief"], r["precision"], r["signal_good"]
        bayes, rep = r["bayes_posterior"], r["reported"]
        informative = 1 - q - 1e-12 <= b <= q + 1e-12
        side = "neutral" if abs(b - 0.5) < 1e-9 else (
            "agree" if (b > 0.5) == good else "contradict")
        if abs(bayes - b) > 1e-9 and side != "neutral":
            groups[side].append((rep - b) / (bayes - b))
        if side != "agree":  # an agreeing signal cannot tell following from herding
            follow["inside" if informative else "outside"].append(float(r["bought"] == good))
        rows.append({"b": b, "q": q, "signal_good": good, "bayes": bayes, "reported": rep,
                     "bought": r["bought"], "side": side, "informative": informative})
    out: dict[str, Any] = {"n": len(records), "parsed": len(ok), "rows": rows}
    out["update_ratio"] = {k: _mean_se(v) + (len(v),) for k, v in sorted(groups.items())}
    out["follow_rate"] = {k: _mean_se(v) + (len(v),) for k, v in sorted(follow.items())}
    err = [abs(r["reported"] - r["bayes"]) for r in rows]
    out["mean_abs_error"] = _mean_se(err)
    out["behavioral_fit"] = _behavioral_fit(rows)
    out["fit"] = fit_summary(out["behavioral_fit"])
    tips = [r.get("tip_ok", True) for r in records]
    out["tips_valid"] = sum(tips)
    return out


#: Reports are whole percents: the answer r stands for a belief in [r − 0.5 %, r + 0.5 %].
REPORT_HALFWIDTH = 0.005


def _behavioral_fit(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Fit the Behavioral agent model (``steerherd.agents``) to the stored answers.

    Reported beliefs give (w_prior, w_agree, w_disagree) in ``logit belief = w·X + σε``, with
    each whole-percent report interval-censored (:mod:`steerherd.agents.censored`); a
    Bayesian agent has all three equal to 1, NB1 shows as w_agree < 1 and NB2 as
    w_disagree > 1. Actions give the same weights divided by the choice noise λ. A fit the
    data cannot support (too few rows, separated actions) is reported with its reason.
    """
    from steerherd.agents import BehavioralFit, fit_behavioral_actions, fit_behavioral_beliefs
    from steerherd.agents.censored import interval
    from steerherd.errors import ParameterError

    use = [r for r in rows if 0 < r["b"] < 1 and 0.5 <= r["q"] < 1]
    b = np.array([r["b"] for r in use])
    q = np.array([r["q"] for r in use])
    s = np.array([r["signal_good"] for r in use], dtype=bool)
    out: dict[str, Any] = {"available": True, "rows": len(use)}

    def fit_beliefs() -> BehavioralFit:
        return fit_behavioral_beliefs(b, q, s, [r["reported"] for r in use],
                                      halfwidth=REPORT_HALFWIDTH)

    def fit_actions() -> BehavioralFit:
        return fit_behavioral_actions(b, q, s, [r["bought"] for r in use])

    fits = (("beliefs", fit_beliefs), ("actions", fit_actions))
    for name, fit in fits:
        try:
            res = fit()
        except (ParameterError, ValueError, np.linalg.LinAlgError) as exc:
            out[name] = {"error": " ".join(str(exc).split())}
            continue
        ci = {k: list(interval(res, k)) for k in ("w_prior", "w_agree", "w_disagree")}
        out[name] = {"estimates": dict(res.estimates), "stderr": dict(res.stderr),
                     "ci95": ci, "method": res.method, "message": getattr(res, "message", ""),
                     "identified_set": bool(res.extra.get("identified_set", 0.0))}
    return out


def fit_summary(fit: dict[str, Any]) -> dict[str, Any]:
    """``beliefs.fit`` of analysis.json: each weight's estimate and 95 % interval."""
    f = fit.get("beliefs", {})
    if "estimates" not in f:
        return {"error": f.get("error", "not fitted")}
    return {k: {"estimate": f["estimates"][k], "ci95": f["ci95"][k]}
            for k in ("w_prior", "w_agree", "w_disagree")}


def analyse_policy(records: list[dict[str, Any]], model: ModelConfig,
                   close_percent: float = CLOSE_PERCENT) -> dict[str, Any]:
    """The LLM planner's precision curve against q* and the percentage policy deviation.

    The planner answers whole percents, so the deviation is measured from the optimum as a
    whole percent with the same effect on the agent (``optimal_percent``: informative
    precisions rounded up, obfuscation just below max(b, 1 − b)); ``deviation_continuous``
    is measured from q* itself (at most 2 % apart).
    """
    from steerherd.llm.experiments import optimal_percent

    out: dict[str, Any] = {}
    by: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        by[(r["planner"], r["horizon"])].append(r)
    for (planner, horizon), recs in sorted(by.items()):
        params = model.params(planner, horizon == "forward")
        sol = optimum(params)
        ok = [r for r in recs if r["ok"]]
        rows = []
        for r in ok:
            b = r["public_belief"]
            q_star = float(sol.policy(b))
            q_pct = optimal_percent(params, sol, b) / 100
            rows.append({"b": b, "q_llm": r["precision"], "q_star": q_star,
                         "q_star_percent": q_pct, "mode": str(sol.mode(b)),
                         "deviation": abs(r["precision"] - q_pct) / 0.5 * 100,
                         "deviation_continuous": abs(r["precision"] - q_star) / 0.5 * 100})
        dev = [x["deviation"] for x in rows]
        out[f"{planner}|{horizon}"] = {
            "n": len(recs), "parsed": len(ok), "rows": rows,
            "mean_deviation": _mean_se(dev),
            "share_close": float(np.mean([d < close_percent for d in dev])) if dev else math.nan,
            "close_percent": close_percent,
            "curve_b": sol.belief.tolist(),
            "curve_q": sol.q.tolist(),
        }
    return out


def _score_run(run: dict[str, Any], model: ModelConfig) -> tuple[float, float]:
    params = model.params(run["planner"], run["horizon"] == "forward")
    good = run["state"] == "G"
    welfare = model.C * sum(s["bought"] == good for s in run["steps"])
    spend = float(sum(params.cost(abs(s["precision"] - params.p)) for s in run["steps"]))
    return welfare, spend


def analyse_sequential(records: list[dict[str, Any]], model: ModelConfig,
                       agents: int | None = None) -> dict[str, Any]:
    """Welfare and expenditure as % of the no-control baseline, per combination.

    Every row, analytical or LLM, uses one estimator: 100 × (mean over the cell's complete
    runs) / (mean baseline welfare over the baseline's complete runs), with a delta-method
    standard error that includes the baseline's sampling error and the pairing of runs.
    A run that failed (no usable answer) is dropped: each row says how many
    (``dropped``) and, for welfare, the range the percentage would span had the dropped runs
    ended anywhere from every agent wrong to every agent right (``welfare_pct_if_dropped``).

    With ``agents`` (N), the rows with Bayesian agents and a fixed policy (``analytical``,
    ``always_full``, ``always_p``) also carry the exact expectation of the same percentages
    (``steerherd.sim.exact``, the same whole-percent precisions), which the estimate targets.
    """
    complete = [r for r in records if r["ok"]]
    base: dict[tuple[str, str], dict[int, float]] = defaultdict(dict)
    base_dropped: dict[tuple[str, str], int] = defaultdict(int)
    for r in records:
        if r["setting"].startswith("baseline_"):
            key = (SETTINGS[r["setting"]][1], r["state"])
            if r["ok"]:
                base[key][r["run"]] = _score_run(r, model)[0]
            else:
                base_dropped[key] += 1
    groups: dict[tuple[str, str, str, str], dict[int, tuple[float, float]]] = defaultdict(dict)
    dropped: dict[tuple[str, str, str, str], int] = defaultdict(int)
    for r in records:
        if not r["setting"].startswith("baseline_"):
            cell = (r["setting"], r["planner"], r["horizon"], r["state"])
            if r["ok"]:
                groups[cell][r["run"]] = _score_run(r, model)
            else:
                dropped[cell] += 1
                groups.setdefault(cell, {})
    rows = []
    for (setting, planner, horizon, state), scores in sorted(groups.items()):
        b_key = (SETTINGS[setting][1], state)
        w0_runs = base.get(b_key, {})
        w0 = float(np.mean(list(w0_runs.values()))) if w0_runs else math.nan
        order = sorted(scores)
        base_order = sorted(w0_runs)
        row: dict[str, Any] = dict(welfare_row(
            [scores[k][0] for k in order], [scores[k][1] for k in order],
            [w0_runs[k] for k in base_order], run_ids=order, baseline_ids=base_order,
            setting=setting, planner=planner, horizon=horizon, state=state))
        row |= {"baseline_welfare": w0, "dropped": dropped[(setting, planner, horizon, state)],
                "baseline_dropped": base_dropped[b_key]}
        if row["dropped"] and agents is not None and w0 > 0:
            w = [v[0] for v in scores.values()]
            n_all = len(w) + row["dropped"]
            row["welfare_pct_if_dropped"] = (
                100 * (sum(w) + 0.0) / n_all / w0,
                100 * (sum(w) + row["dropped"] * model.C * agents) / n_all / w0)
        if agents is not None and setting in ("analytical", "always_full", "always_p"):
            row["exact"] = exact_percentages(model, setting, planner, horizon, state, agents)
        rows.append(row)
    return {"n": len(records), "complete": len(complete), "rows": rows}


def exact_percentages(model: ModelConfig, setting: str, planner: str, horizon: str,
                      state: str, agents: int) -> dict[str, float]:
    """Exact E[welfare], E[expenditure] and their % of E[baseline welfare], Bayesian agents.

    Welfare here is C × correct actions = C·N + ``ExactResult.welfare`` (which counts −C per
    wrong action). The ratio of expectations is what the ratio of Monte Carlo means estimates.
    """
    from steerherd.llm.experiments import optimal_percent
    from steerherd.sim.exact import exact_statistics

    params = model.params(planner, horizon == "forward")
    if setting == "analytical":
        sol = optimum(params)
        rule: Any = np.vectorize(lambda b: optimal_percent(params, sol, float(b)) / 100,
                                 otypes=[np.float64])
    elif setting == "always_p":
        rule = round(100 * params.p) / 100
    else:
        rule = 1.0
    ex = exact_statistics(rule, params, agents=agents, state=state)
    ex0 = exact_statistics(round(100 * params.p) / 100, params, agents=agents, state=state)
    w, w0 = model.C * agents + ex.welfare, model.C * agents + ex0.welfare
    return {"welfare": w, "baseline_welfare": w0, "expenditure": ex.spend,
            "welfare_pct": 100 * w / w0 if w0 > 0 else math.nan,
            "expenditure_pct": 100 * ex.spend / w0 if w0 > 0 else math.nan}


def call_stats(calls: list[dict[str, Any]],
               attempts: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Calls, parse failures, HTTP attempts, latency and tokens by role.

    For the oracle, ``valid_share`` is the share of its tips that passed the check (they
    state the requested reliability and the verdict).
    """
    out: dict[str, Any] = {}
    for role in sorted({c["role"] for c in calls}):
        cs = [c for c in calls if c["role"] == role]
        fails = sum(1 for c in cs if not c["parse_ok"])
        lat = [c["latency_s"] for c in cs if c["latency_s"] is not None]
        tries = [a for a in attempts or [] if a["role"] == role]
        out[role] = {"calls": len(cs), "parse_failures": fails,
                     "parse_failure_rate": fails / len(cs), "valid_share": 1 - fails / len(cs),
                     "from_shared_cache": sum(c.get("source") == "cache" for c in cs),
                     "http_attempts": len(tries),
                     "failed_attempts": sum(not a["ok"] for a in tries),
                     "mean_latency_s": float(np.mean(lat)) if lat else math.nan,
                     "prompt_tokens": sum(c["prompt_tokens"] or 0 for c in cs),
                     "completion_tokens": sum(c["completion_tokens"] or 0 for c in cs)}
    return out
