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
    store = RunStore(path, readonly=True)
    try:
        cfg = ExperimentConfig.model_validate(store.get_meta("config"))
    except ValueError as exc:
        raise ParameterError(f"{path}: the stored configuration is not valid "
                             f"({' '.join(str(exc).split())[:200]})") from None
    return store, cfg


def run_info(store: RunStore) -> dict[str, Any]:
    """``run`` of analysis.json: the config hash and the model of each role."""
    models = dict(store.get_meta("models") or {})
    served = store.get_meta("served") or {}
    for role, m in models.items():
        if role in served:
            models[role] = {**m, "served": served[role].get("served"),
                            "client_endpoint": served[role].get("endpoint")}
    seen = sorted({c["model"] for c in store.calls()})
    return {"config_sha256": store.get_meta("config_sha256"), "models": models,
            "reply_models": seen, "sessions": store.get_meta("sessions") or []}


def analyse(store: RunStore, cfg: ExperimentConfig, model: ModelConfig,
            close_percent: float = analysis.CLOSE_PERCENT) -> dict[str, Any]:
    """Every analysis the stored records allow, scored under ``model``."""
    out: dict[str, Any] = {"calls": analysis.call_stats(store.calls(), store.attempts())}
    if recs := store.records("beliefs"):
        out["beliefs"] = analysis.analyse_beliefs(recs)
    if recs := store.records("policy"):
        out["policy"] = analysis.analyse_policy(recs, model, close_percent)
    if recs := store.records("sequential"):
        n = cfg.sequential.agents if cfg.sequential else None
        out["sequential"] = analysis.analyse_sequential(recs, model, n)
    return out


def write_report(store: RunStore, cfg: ExperimentConfig, out_dir: Path,
                 model: ModelConfig | None = None,
                 settings: dict[str, Any] | None = None) -> Path:
    """Write ``report.md``, ``analysis.json`` and figures into ``out_dir``; return the report.

    Raises:
        ParameterError: ``out_dir`` cannot be written.
    """
    settings = settings or {}
    model = settings.get("model", cfg.model if model is None else model)
    close = float(settings.get("close_percent", analysis.CLOSE_PERCENT))
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = out_dir / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise ParameterError(f"cannot write the report into {out_dir} ({exc.strerror})") from None
    res = analyse(store, cfg, model, close)
    res["run"] = run_info(store)
    (out_dir / "analysis.json").write_text(json.dumps(res, indent=1, default=str))
    figs = _figures(res, out_dir)
    lines = [f"# LLM run `{cfg.name}`", "", f"- config sha256: `{res['run']['config_sha256']}`"]
    for role, m in res["run"]["models"].items():
        lines.append(f"- {role}: model `{m.get('model')}` at `{m.get('endpoint')}` "
                     f"(served: `{m.get('served')}`), temperature {m.get('temperature')}")
    lines += [f"- model: `{store.get_meta('model')}`  endpoint: `{store.get_meta('endpoint')}`",
              f"- temperature: {cfg.calls.temperature}  seed: {cfg.seed}  "
              f"prompt version: {store.get_meta('prompt_version')}",
              f"- scored with: {model.model_dump()}  close: deviation < {close:g}%"]
    for i, sess in enumerate(res["run"]["sessions"], 1):
        if sess.get("overrides"):
            lines.append(f"- session {i} ({sess['started']}) command-line overrides: "
                         f"`{json.dumps(sess['overrides'])}`")
    lines.append("")
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
    out = ["## Calls", "", "| role | calls | parse failures | valid | from shared cache | "
           "HTTP attempts (failed) | mean latency s | prompt tok | completion tok |",
           "|---|---|---|---|---|---|---|---|---|"]
    for role, s in calls.items():
        out.append(f"| {role} | {s['calls']} | {s['parse_failures']} "
                   f"({100 * s['parse_failure_rate']:.1f}%) | {100 * s['valid_share']:.1f}% | "
                   f"{s['from_shared_cache']} | {s['http_attempts']} ({s['failed_attempts']}) | "
                   f"{_f(s['mean_latency_s'])} | {s['prompt_tokens']} | "
                   f"{s['completion_tokens']} |")
    if "oracle" in calls:
        o = calls["oracle"]
        out += ["", f"Oracle tips that state the requested reliability and verdict: "
                f"{o['calls'] - o['parse_failures']} of {o['calls']} "
                f"({100 * o['valid_share']:.1f}%); the others were asked again."]
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
    first: dict[str, Any] = next(iter(res.values()), {})
    close = first.get("close_percent", analysis.CLOSE_PERCENT)
    out = ["## Planner policy", "", "Deviation |q − q*| / 0.5 from the optimum as a whole "
           "percent with the same effect on the agent.", "",
           "| planner | horizon | parsed | mean deviation % | se | "
           f"share < {close:g}% |", "|---|---|---|---|---|---|"]
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
           "signal sequences, which the run means estimate. Every row uses the same estimator "
           "(ratio of means); its se includes the baseline's sampling error (delta method, "
           "runs paired by their common random numbers).", "",
           "| setting | planner | horizon | ω | runs | dropped | baseline welfare | welfare % | "
           "se | exact | expenditure % | se | exact |", "|---" * 13 + "|"]
    notes = []
    for r in res["rows"]:
        w, wse = r["welfare_pct"], r["welfare_pct_se"]
        e, ese = r["expenditure_pct"], r["expenditure_pct_se"]
        ex = r.get("exact", {})
        out.append(f"| {r['setting']} | {r['planner']} | {r['horizon']} | {r['state']} | "
                   f"{r['runs']} | {r['dropped']} | {_f(r['baseline_welfare'])} | {_f(w)} | "
                   f"{_f(wse)} | {_f(ex.get('welfare_pct'))} | {_f(e)} | {_f(ese)} | "
                   f"{_f(ex.get('expenditure_pct'))} |")
        if "welfare_pct_if_dropped" in r:
            lo, hi = r["welfare_pct_if_dropped"]
            notes.append(f"- {r['setting']} {r['planner']} {r['horizon']} {r['state']}: "
                         f"{r['dropped']} run(s) dropped (no usable answer); had they ended "
                         f"anywhere from every agent wrong to every agent right, welfare % "
                         f"would lie in [{_f(lo)}, {_f(hi)}] instead of {_f(w)}.")
    return out + [""] + notes + ([""] if notes else [])


def _figures(res: dict[str, Any], out_dir: Path) -> list[Path]:
    from steerherd.plotting import llm_report_figures

    paths = []
    for name, fig in llm_report_figures(res).items():
        path = out_dir / f"{name}.png"
        fig.savefig(path, dpi=150)
        paths.append(path)
    return paths


def write_grid_report(run_dir: Path, labels: list[str]) -> Path:
    """``grid.md`` and ``grid.json``: one column of headline numbers per model of a grid.

    Each cell is labelled by its models (planner, oracle, agent) as recorded in its store.
    """
    cells = []
    for label in labels:
        data = json.loads((run_dir / label / "analysis.json").read_text())
        models = data.get("run", {}).get("models", {})
        cell: dict[str, Any] = {"label": label, "models": {
            r: models.get(r, {}).get("model") for r in ("planner", "oracle", "agent")},
            "config_sha256": data.get("run", {}).get("config_sha256")}
        if "policy" in data:
            cell["policy_mean_deviation"] = {k: v["mean_deviation"]
                                             for k, v in data["policy"].items()}
        if "beliefs" in data:
            cell["update_ratio"] = data["beliefs"]["update_ratio"]
            cell["fit"] = data["beliefs"].get("fit")
        if "sequential" in data:
            cell["welfare_pct"] = {f"{r['setting']}|{r['planner']}|{r['horizon']}|"
                                   f"{r['state']}": r["welfare_pct"]
                                   for r in data["sequential"]["rows"]}
        cells.append(cell)
    (run_dir / "grid.json").write_text(json.dumps(cells, indent=1, default=str))
    lines = ["# Model grid", "", "| cell | planner | oracle | agent | mean policy deviation % |"
             " update ratio agree / contradict | welfare % (first rows) |", "|---" * 7 + "|"]
    for c in cells:
        dev = "; ".join(f"{k} {_f(v[0])}" for k, v in c.get("policy_mean_deviation", {}).items())
        ur = c.get("update_ratio", {})
        ratio = " / ".join(_f(ur[k][0]) if k in ur else "—" for k in ("agree", "contradict"))
        wel = "; ".join(f"{k} {_f(v)}" for k, v in list(c.get("welfare_pct", {}).items())[:4])
        m = c["models"]
        lines.append(f"| {c['label']} | {m['planner']} | {m['oracle']} | {m['agent']} | {dev} |"
                     f" {ratio} | {wel} |")
    path = run_dir / "grid.md"
    path.write_text("\n".join(lines) + "\n")
    return path
