"""``steerherd verify``: check the paper's theorems on a seeded random sweep of problems."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from steerherd.commands._parse import whole_number

_I = {"parser": whole_number, "metavar": "INT"}


def verify(
    instances: Annotated[int, typer.Option(help="Number of random problems.", **_I)] = 500,
    seed: Annotated[int, typer.Option(help="Seed of the sweep (numpy Generator).", **_I)] = 0,
    beliefs: Annotated[int, typer.Option(help="Belief grid size (failures are re-checked "
                                         "on a grid 4x finer).", **_I)] = 401,
    precisions: Annotated[int, typer.Option(help="Precision grid size.", **_I)] = 101,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write the report to PATH.")
                         ] = None,
    max_instances: Annotated[int, typer.Option(help="Refuse more instances than this.", **_I)
                             ] = 100_000,
    certify_seconds: Annotated[int, typer.Option(
        help="Time budget (s) per instance for the certified bounds, tried on Thm 2 and "
        "Thm 3 failures and failed strict claims (0: skip).", **_I)] = 20,
    certify_all: Annotated[bool, typer.Option(
        "--certify-all/--certify-failures", help="Judge every instance's strict claims by the "
        "bounds, or only those that fail on the grid.")] = False,
    jobs: Annotated[int, typer.Option(
        help="Worker processes (instances are independent; the certified checks take most of "
        "the time).", **_I)] = 1,
) -> int:
    """Check Theorems 1-5 on random (planner, p, k, delta, cost) problems.

    Exits 1 on a violation or a failed strict inequality of the paper.
    """
    import json
    import time

    import numpy as np

    from steerherd.theory.verify import sample_params, summarise

    _check(instances, seed, beliefs, precisions, max_instances)
    if not 1 <= jobs <= 64:
        from steerherd.errors import ParameterError

        raise ParameterError(f"--jobs must be between 1 and 64, got {jobs}")
    if json_path is not None:
        from steerherd.files import check_output_file

        check_output_file(json_path, "--json")
    params = sample_params(instances, np.random.default_rng(seed))
    start = time.perf_counter()
    reports = _run(params, beliefs, precisions, certify_seconds, certify_all, jobs)
    report = summarise(reports)
    report.update({"seed": seed, "beliefs": beliefs, "precisions": precisions,
                   "refine_factor": 4, "certify_seconds": certify_seconds,
                   "certify_all": certify_all, "jobs": jobs,
                   "seconds": time.perf_counter() - start})
    _print(report)
    if json_path is not None:
        json_path.write_text(json.dumps(report, indent=1, default=_jsonable))
    failures = report["genuine_violations"] + report["strict_failures"]
    return 1 if failures or report["errors"] else 0


def _check(instances: int, seed: int, beliefs: int, precisions: int, max_instances: int
           ) -> None:
    """The options, through the problem spec's grid limits (4x finer for the re-check)."""
    from steerherd.errors import ParameterError
    from steerherd.spec import MAX_BELIEFS, MAX_PRECISIONS, parse_spec

    if seed < 0:
        raise ParameterError(f"--seed must be >= 0, got {seed}")
    if instances < 1:
        raise ParameterError(f"--instances: the number of instances must be a whole number "
                             f">= 1, got {instances}")
    if instances > max_instances:
        raise ParameterError(f"--instances {instances:,} is more than the limit "
                             f"{max_instances:,} (raise it with --max-instances N)")
    if beliefs < 11 or precisions < 2:
        raise ParameterError(f"--beliefs must be >= 11 and --precisions >= 2, got {beliefs} and"
                             f" {precisions}")
    parse_spec({"beliefs": beliefs, "precisions": precisions})
    for flag, size, most in (("--beliefs", beliefs, MAX_BELIEFS),
                             ("--precisions", precisions, MAX_PRECISIONS)):
        if 4 * size > most:  # failures are re-checked on a grid 4x finer
            raise ParameterError(f"{flag} must be <= {most // 4:,} (re-checks use 4x finer"
                                 f" grids, at most {most:,}), got {size:,}")


def _jsonable(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"not JSON-serialisable: {type(obj).__name__}")


def _run(params: list[Any], beliefs: int, precisions: int, certify_seconds: int,
         certify_all: bool, jobs: int) -> list[Any]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from steerherd.theory.verify import run_sweep

    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), transient=True) as bar:
        task = bar.add_task("verifying", total=len(params))
        return run_sweep(params, beliefs, precisions, progress=lambda: bar.advance(task),
                         certify_seconds=float(certify_seconds), certify_all=certify_all,
                         jobs=jobs)


def _fmt(par: dict[str, Any] | None) -> str:
    if par is None:
        return "—"
    cost = par["cost"] + (f"(alpha={par['alpha']})" if par["alpha"] is not None else "")
    return f"{par['planner']} p={par['p']} k={par['k']} delta={par['delta']} {cost}"


def _print(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(Console().width, 150))
    table = Table(title=f"theorem checks: {report['instances']} instances, seed {report['seed']},"
                  f" grid {report['beliefs']}x{report['precisions']} (re-check 4x finer)",
                  title_justify="left")
    for col in ("theorem", "checked", "violations", "Thm 2: concave / kink",
                "certified (not in time)", "artefacts", "strict claim",
                "strict fails / checked", "bounds: holds / fails / undecided of tried",
                "worst margin", "worst at"):
        table.add_column(col)
    for thm, row in report["theorems"].items():
        worst = "—" if row["worst_margin"] is None else f"{row['worst_margin']:.3g}"
        st = row.get("strict")
        cert = st and st["certified"]
        table.add_row(row["title"], str(row["checked"]), str(row["violations"]),
                      f"{row['concave']} / {row['kink']}" if thm == "thm2" else "",
                      f"{row['certified']} ({row['certify_timeouts']})"
                      if thm in ("thm2", "thm3") else "",
                      str(row["artefacts"]), st["claim"] if st else "",
                      f"{st['fails']} / {st['checked']}" if st else "",
                      f"{cert['holds']} / {cert['fails']} / {cert['undecided']} of "
                      f"{cert['tried']}" + (f" ({cert['n/a']} n/a)" if cert["n/a"] else "")
                      if cert else "", worst, _fmt(row["worst_at"]))
    console.print(table)
    thm5 = report["theorems"]["thm5"]
    if thm5["checked"]:
        console.print(f"Thm 5: t2 = 1/2 (obfuscation on all of (1/2, p]) on {thm5['t2_at_half']}"
                      f" of {thm5['checked']} biased instances")
    for f in report["findings"] + report["strict_findings"]:
        failed = [f["claim"]] if "claim" in f else (f["details"].get("failed") or sorted(
            k for k, m in f["details"].get("margins", {}).items() if m < 0))
        refined = "—" if f["refined_margin"] is None else f"{f['refined_margin']:.3g}"
        curv = ""
        if "curvature" in f:
            ev = min(f["curvature"]["evidence"], key=lambda e: e["second_differences"][-1])
            curv = (f"  min D2 at b={ev['belief']:.4f} (H={ev['stencil']:.3g}): "
                    + " -> ".join(f"{d:.3g}" for d in ev["second_differences"])
                    + (" concave" if f["curvature"]["concave"] else "")
                    + (" kink" if f["curvature"]["kink"] else ""))
            cert = f["curvature"].get("certified")
            if cert and cert["certified"]:
                w = cert["witness"]
                curv += (f"  CERTIFIED: lower({w['b1']:.4f}) - chord of upper over "
                         f"[{w['b0']:.4f}, {w['b2']:.4f}] = {w['excess']:.3g} > 0")
            elif cert:
                curv += "  not certified" + (" (time budget spent)" if cert["timed_out"]
                                             else "")
        console.print(f"{f['kind']:15s} {f['theorem']}  {_fmt(f['params'])}  margin "
                      f"{f['margin']:.3g} -> refined {refined}"
                      + (f"  [{', '.join(failed)}]" if failed else "") + curv
                      + _certified_note(f.get("certified")))
    for e in report["errors"]:
        console.print(f"[red]solver error[/] {_fmt(e['params'])}: {e['error']}")
    rows = report["theorems"].values()
    console.print(f"{report['genuine_violations']} genuine violation(s) "
                  f"({sum(r['concave'] for r in rows)} concave, {sum(r['kink'] for r in rows)}"
                  f" kink; certified by the bounds: Thm 2 {report['certified_violations']}, "
                  f"Thm 3 {report['certified_order_violations']}; {report['certify_timeouts']}"
                  f" Thm 2 not certified within "
                  f"{report['certify_seconds']} s), {sum(r['artefacts'] for r in rows)} "
                  "discretisation artefact(s), "
                  f"{report['strict_failures']} failed strict inequalit(ies), "
                  f"{len(report['errors'])} solver error(s); {report['seconds']:.1f} s")


def _certified_note(verdict: dict[str, Any] | None) -> str:
    """The bounds' verdict on a Thm 3 order or strict-claim finding, in a few words."""
    if verdict is None:
        return ""
    if verdict.get("tol") is None:
        return "  bounds: not reached within the budget"
    if "violated" in verdict:
        if not verdict["violated"]:
            return "  order not certified"
        w = verdict["witness"]
        return (f"  CERTIFIED (tol {verdict['tol']:g}): on [{w['cell'][0]:.4f}, "
                f"{w['cell'][1]:.4f}] only regimes {w['allowed']} are possible, after rank "
                f"{w['rank_before']} (0 p, 1 max(p,b,1-b), 2 full)")
    extra = ""
    if verdict.get("t2_bracket"):
        extra = f", t2 in [{verdict['t2_bracket'][0]:.4f}, {verdict['t2_bracket'][1]:.4f}]"
    elif "t3_upper" in verdict:
        extra = f", t3 <= {verdict['t3_upper']:.4f}"
    elif "bracket_from_0" in verdict:
        extra = f", d_A in [{verdict['bracket_from_0'][0]:.4f}, {verdict['bracket_from_0'][1]:.4f}]"
    return f"  bounds (tol {verdict['tol']:g}): {verdict['status']}{extra}"
