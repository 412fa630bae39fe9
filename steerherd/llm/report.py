"""``steerherd llm report`` / ``replay``: a markdown report and figures from a run store.

Reports read only the store: they never contact an endpoint, so re-scoring under new
parameters (``replay``) sends no calls.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from steerherd.errors import ParameterError
from steerherd.llm import analysis
from steerherd.llm.config import ExperimentConfig, ModelConfig
from steerherd.llm.runner import STORE_FILE
from steerherd.llm.store import RunStore


def open_run(run_dir: str | Path) -> tuple[RunStore, ExperimentConfig]:
    """Open a stored run and its configuration.

    Raises:
        ParameterError: the directory holds no run store.
    """
    path = Path(run_dir) / STORE_FILE
    if not path.is_file():
        raise ParameterError(f"no run store at {path} (run `steerherd llm run CONFIG` first)")
    store = RunStore(path)
    return store, ExperimentConfig.model_validate(store.get_meta("config"))


def analyse(store: RunStore, cfg: ExperimentConfig, model: ModelConfig) -> dict[str, Any]:
    """Every analysis the stored records allow, scored under ``model``."""
    out: dict[str, Any] = {"calls": analysis.call_stats(store.calls())}
    if recs := store.records("beliefs"):
        out["beliefs"] = analysis.analyse_beliefs(recs)
    if recs := store.records("policy"):
        out["policy"] = analysis.analyse_policy(recs, model)
    if recs := store.records("sequential"):
        n = cfg.sequential.agents if cfg.sequential else None
        out["sequential"] = analysis.analyse_sequential(recs, model, n)
    return out


def write_report(store: RunStore, cfg: ExperimentConfig, out_dir: Path,
                 model: ModelConfig | None = None) -> Path:
    """Write ``report.md``, ``analysis.json`` and figures into ``out_dir``; return the report."""
    model = cfg.model if model is None else model
    out_dir.mkdir(parents=True, exist_ok=True)
    res = analyse(store, cfg, model)
    (out_dir / "analysis.json").write_text(json.dumps(res, indent=1, default=str))
    figs = _figures(res, out_dir)
    lines = [f"# LLM run `{cfg.name}`", "",
             f"- model: `{store.get_meta('model')}`  endpoint: `{store.get_meta('endpoint')}`",
             f"- temperature: {cfg.calls.temperature}  seed: {cfg.seed}  "
             f"prompt version: {store.get_meta('prompt_version')}",
             f"- scored with: {model.model_dump()}", ""]
    lines += _calls_md(res["calls"])
    if "beliefs" in res:
        lines += _beliefs_md(res["beliefs"])
    if "policy" in res:
        lines += _policy_md(res["policy"])
    if "sequential" in res:
        lines += _sequential_md(res["sequential"])
    lines += [f"![{f.stem}]({f.name})" for f in figs]
    path = out_dir / "report.md"
    path.write_text("\n".join(lines) + "\n")
    return path


def _f(x: float, d: int = 3) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{d}g}"


def _calls_md(calls: dict[str, Any]) -> list[str]:
    out = ["## Calls", "", "| role | calls | parse failures | mean latency s | prompt tok | "
           "completion tok |", "|---|---|---|---|---|---|"]
    for role, s in calls.items():
        out.append(f"| {role} | {s['calls']} | {s['parse_failures']} "
                   f"({100 * s['parse_failure_rate']:.1f}%) | {_f(s['mean_latency_s'])} | "
                   f"{s['prompt_tokens']} | {s['completion_tokens']} |")
    return out + [""]


def _beliefs_md(res: dict[str, Any]) -> list[str]:
    out = ["## Agent beliefs", "", f"{res['parsed']} of {res['n']} answers parsed; mean "
           f"|reported − Bayes| = {_f(res['mean_abs_error'][0])} ± {_f(res['mean_abs_error'][1])}",
           "", "| signal vs public belief | mean update ratio | se | n |", "|---|---|---|---|"]
    for k, (m, se, n) in res["update_ratio"].items():
        out.append(f"| {k} | {_f(m)} | {_f(se)} | {n} |")
    out += ["", "| region | follows a non-agreeing signal | se | n | Bayesian |",
            "|---|---|---|---|---|"]
    for k, (m, se, n) in res["follow_rate"].items():
        out.append(f"| {k} 1−q ≤ b ≤ q | {_f(m)} | {_f(se)} | {n} | "
                   f"{1 if k == 'inside' else 0} |")
    return out + _fit_md(res["behavioral_fit"])


def _fit_md(fit: dict[str, Any]) -> list[str]:
    if not fit.get("available"):
        return ["", f"Behavioral fit: {fit['note']}", ""]
    out = ["", f"Behavioral fit on {fit['rows']} answers (Bayesian: every weight 1; NB1: "
           "w_agree < 1; NB2: w_disagree > 1)", "",
           "| data | parameter | estimate | 95% CI |", "|---|---|---|---|"]
    for name in ("beliefs", "actions"):
        f = fit.get(name, {})
        if "error" in f:
            out.append(f"| {name} | — | not fitted: {f['error']} | |")
            continue
        for k, v in f.get("estimates", {}).items():
            lo, hi = f["ci95"].get(k, (math.nan, math.nan))
            out.append(f"| {name} | {k} | {_f(v)} | [{_f(lo)}, {_f(hi)}] |")
    notes = [f"- {n}: {fit[n]['message']}" for n in ("beliefs", "actions")
             if fit.get(n, {}).get("message")]
    return out + [""] + notes + ([""] if notes else [])


def _policy_md(res: dict[str, Any]) -> list[str]:
    out = ["## Planner policy", "", "| planner | horizon | parsed | mean deviation % | se | "
           f"share < {analysis.CLOSE_PERCENT:g}% |", "|---|---|---|---|---|---|"]
    for key, r in res.items():
        planner, horizon = key.split("|")
        m, se = r["mean_deviation"]
        out.append(f"| {planner} | {horizon} | {r['parsed']}/{r['n']} | {_f(m)} | {_f(se)} | "
                   f"{_f(r['share_close'])} |")
    return out + [""]


def _sequential_md(res: dict[str, Any]) -> list[str]:
    out = ["## Sequential runs (% of the no-control baseline)", "",
           f"{res['complete']} of {res['n']} runs complete", "",
           "Welfare = C × correct actions; baseline = q = p for everyone, same agents, state and "
           "random numbers; — where the baseline's welfare is 0 (a % of it is undefined).", "",
           "The exact columns (Bayesian agents, fixed policies) are expectations over all "
           "signal sequences, which the run means estimate.", "",
           "| setting | planner | horizon | ω | runs | baseline welfare | welfare % | se | "
           "exact | expenditure % | se | exact |", "|---" * 12 + "|"]
    for r in res["rows"]:
        w, wse = r["welfare_pct"], r["welfare_pct_se"]
        e, ese = r["expenditure_pct"], r["expenditure_pct_se"]
        ex = r.get("exact", {})
        out.append(f"| {r['setting']} | {r['planner']} | {r['horizon']} | {r['state']} | "
                   f"{r['runs']} | {_f(r['baseline_welfare'])} | {_f(w)} | {_f(wse)} | "
                   f"{_f(ex.get('welfare_pct'))} | {_f(e)} | {_f(ese)} | "
                   f"{_f(ex.get('expenditure_pct'))} |")
    return out + [""]


def _figures(res: dict[str, Any], out_dir: Path) -> list[Path]:
    from steerherd.plotting import llm_report_figures

    paths = []
    for name, fig in llm_report_figures(res).items():
        path = out_dir / f"{name}.png"
        fig.savefig(path, dpi=150)
        paths.append(path)
    return paths
