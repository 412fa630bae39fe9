"""``steerherd solve``: solve one planner's problem, print a summary, write JSON and a plot."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from steerherd.commands._parse import number, whole_number


class Planner(StrEnum):
    altruistic = "altruistic"
    biased = "biased"


class CostFamily(StrEnum):
    linear = "linear"
    power = "power"


class Method(StrEnum):
    vi = "vi"
    pi = "pi"
    mpi = "mpi"
    lp = "lp"


_F = {"parser": number, "metavar": "FLOAT"}
_I = {"parser": whole_number, "metavar": "INT"}


def solve(
    planner: Annotated[Planner, typer.Option(help="Planner's objective.")] = Planner.altruistic,
    p: Annotated[float, typer.Option("--p", help="Baseline precision, in [0.5, 1).", **_F)] = 0.7,
    k: Annotated[
        float, typer.Option("--k", help="Cost scale k >= 0: beta(x) = k*x or k*x^alpha.", **_F)
    ] = 0.5,
    C: Annotated[float, typer.Option("--C", "-C", help="Loss of a wrong action, > 0.", **_F)] = 1.0,
    delta: Annotated[
        float, typer.Option("--delta", help="Discount factor in [0, 1); 1 needs --horizon.", **_F)
    ] = 0.9,
    cost: Annotated[CostFamily, typer.Option(help="Cost family.")] = CostFamily.linear,
    alpha: Annotated[
        float | None, typer.Option(help="Exponent of the power cost, in (0, 1].", **_F)
    ] = None,
    horizon: Annotated[
        int | None, typer.Option(help="Finite number of agents N (backward induction).", **_I)
    ] = None,
    prior: Annotated[float, typer.Option(help="Prior P(good) used for V(prior).", **_F)] = 0.5,
    beliefs: Annotated[int, typer.Option(help="Belief grid size.", **_I)] = 1001,
    precisions: Annotated[int, typer.Option(help="Precision grid size.", **_I)] = 201,
    method: Annotated[Method, typer.Option(help="Solver.")] = Method.pi,
    refine: Annotated[
        bool, typer.Option(help="Refine the best grid precision continuously.")
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option(help="Directory for solution.json and solution.png [default: results/solve]."),
    ] = None,
    json_path: Annotated[
        str | None, typer.Option("--json", help="Also write the JSON to PATH; '-' for stdout only.")
    ] = None,
    sensitivity: Annotated[
        bool, typer.Option(help="Also report d(thresholds, V(prior))/d(k, p, delta), with kinks.")
    ] = False,
    tol: Annotated[
        float | None,
        typer.Option(help="Certify the continuous-belief problem: refine bounds until "
                     "max(upper - lower) <= TOL [default: 1e-3*C/(1-delta)].", **_F),
    ] = None,
) -> None:
    """Solve the planner's problem and report regimes, thresholds and the certificate."""
    import json

    from steerherd import Params, make_cost
    from steerherd import solve as run_solve

    params = Params(planner=planner.value, p=p, C=C, delta=delta, horizon=horizon, prior=prior,
                    cost=make_cost(cost.value, k=k, alpha=alpha))
    sol = run_solve(params, beliefs=beliefs, precisions=precisions, method=method.value,
                    refine=refine)
    if tol is None:  # default: 30 s at the default tolerance, else the (valid) gap reached
        from steerherd.dp.certified import CertifiedCache

        cache = CertifiedCache(params, sol.agent)
        object.__setattr__(sol, "certified", cache)
        cache.get(None, max_seconds=30.0, keep_partial=params.horizon is None)
    else:
        sol.certified_bounds(tol)
    data = sol.to_dict()
    derivs = None
    if sensitivity:
        from steerherd.sensitivity import sensitivity as run_sensitivity

        derivs = run_sensitivity(params, beliefs=beliefs, precisions=precisions,
                                 method=method.value)
        data["sensitivity"] = [d.to_dict() for d in derivs]
    if json_path == "-":
        typer.echo(json.dumps(data))
        if out is None:
            return
    elif json_path is not None:
        Path(json_path).write_text(json.dumps(data))
    out = Path("results/solve") if out is None else out
    out.mkdir(parents=True, exist_ok=True)
    sol.save(out / "solution.json")
    _plot(data, out / "solution.png")
    if json_path != "-":
        _summary(sol, out)
        if derivs is not None:
            _print_sensitivity(derivs)


def _print_sensitivity(derivs: list[Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    from steerherd.sensitivity import STEPS

    table = Table(title="sensitivity (central differences; steps "
                  + ", ".join(f"{k}: {v:g}" for k, v in STEPS.items()) + ", k's times max(k, 1))",
                  title_justify="left")
    for col in ("quantity", "d/d", "derivative", "± (grid)", "exact", "left", "right", "kink"):
        table.add_column(col)
    fmt = lambda v: "—" if v is None else f"{v:.4g}"  # noqa: E731
    for d in derivs:
        table.add_row(d.quantity, d.parameter, fmt(d.value), fmt(d.uncertainty), fmt(d.exact),
                      fmt(d.left),
                      fmt(d.right), ("KINK: " if d.kink else "") + d.note)
    Console().print(table)


def _summary(sol: Any, out: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    par = sol.params
    console.print(f"[bold]{par.planner}[/] planner  p={par.p}  C={par.C}  delta={par.delta}  "
                  f"cost={par.cost.to_dict()}  horizon={par.horizon}")
    table = Table(title="regimes", title_justify="left")
    for col in ("mode", "beliefs", "q*", "q range"):
        table.add_column(col)
    for r in sol.regimes:
        table.add_row(r.mode, f"[{r.lo:.4f}, {r.hi:.4f}]", r.formula, f"{r.q_lo:.4f}–{r.q_hi:.4f}")
    console.print(table)
    thr = ", ".join(f"{k} = {_threshold(t)}" for k, t in sol.thresholds.items())
    console.print(f"thresholds: {thr}")
    c = sol.certificate
    console.print(f"certificate: converged={c.converged} method={c.method} "
                  f"iterations={c.iterations} residual={c.bellman_residual:.2e} "
                  f"bound gap={c.gap:.2e}  (grid MDP: V* of the discretised problem at its nodes)")
    cb = sol.certified.value
    reached = "<=" if cb.max_gap <= cb.tol else "> (not reached in time; pass --tol)"
    console.print(f"certified bounds: max(upper - lower)={cb.max_gap:.2e} {reached} "
                  f"tol={cb.tol:.1e}  "
                  f"(continuous problem: V* at every belief; {cb.stats['cells']} cells, "
                  f"{cb.stats['seconds']:.1f} s)")
    lo, up = cb.at(par.prior)
    console.print(f"V*(prior) in [{float(lo):.6g}, {float(up):.6g}]; certified policy "
                  f"q(prior) = {float(cb.policy(par.prior)):.6g}")
    if par.horizon is None:
        from steerherd.dp.certified_regimes import certified_regimes

        reg = certified_regimes(cb)
        thr = "; ".join(f"{t['from']}->{t['to']} in [{t['lo']:.5f}, {t['hi']:.5f}]"
                        for t in reg.thresholds)
        console.print(f"certified thresholds (resolution {reg.resolution:g} in q): "
                      f"{thr or 'none'}; undecided intervals: {len(reg.undecided)}")
    console.print(f"V(prior={par.prior}) = {float(sol.value(par.prior)):.6g}   "
                  f"grid {sol.grid.size} beliefs × {sol.n_precisions}+5 precisions   "
                  f"time {sol.seconds:.3f} s")
    console.print(f"wrote {out / 'solution.json'} and {out / 'solution.png'}")


def _threshold(t: Any) -> str:
    if t is None:
        return "none"
    if t.exact:
        return f"{t.value:.6g} (closed form)"
    return f"{t.value:.4f} in [{t.lo:.4f}, {t.hi:.4f}]"


def _plot(data: dict[str, Any], path: Path) -> None:
    # A bare Figure (no pyplot, no GUI backend machinery): keeps the command fast.
    from matplotlib.figure import Figure

    from steerherd.plotting import plot_policy, plot_value

    fig = Figure(figsize=(8.0, 3.2), layout="constrained")
    ax_v, ax_q = fig.subplots(1, 2)
    plot_value(ax_v, data)
    plot_policy(ax_q, data)
    par = data["params"]
    fig.suptitle(
        f"{par['planner']} planner, p={par['p']}, delta={par['delta']}, "
        f"cost={par['cost']['family']} k={par['cost']['k']}",
        fontsize=9,
    )
    fig.savefig(path, dpi=110)
