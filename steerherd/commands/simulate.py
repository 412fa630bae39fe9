"""``steerherd simulate``: the welfare table (planners × horizons × states × agent settings)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from steerherd.commands._parse import whole_number
from steerherd.types import MAX_RUNS

_I = {"parser": whole_number, "metavar": "INT"}


def simulate(
    p: Annotated[float, typer.Option("--p", help="Baseline precision, in [0.5, 1).")] = 0.7,
    k: Annotated[float, typer.Option("--k", help="Linear cost scale: beta(x) = k*x.")] = 0.5,
    C: Annotated[float, typer.Option("--C", "-C", help="Loss of a wrong action, > 0.")] = 1.0,
    delta: Annotated[float, typer.Option(help="Forward-looking discount factor in [0, 1).")] = 0.9,
    prior: Annotated[float, typer.Option(help="Common prior P(good).")] = 0.5,
    runs: Annotated[int, typer.Option(help="Monte Carlo runs R per cell.", **_I)] = 20_000,
    agents: Annotated[int, typer.Option(help="Agents N per run.", **_I)] = 100,
    seed: Annotated[int, typer.Option(help="Seed (common random numbers for all cells).",
                                      **_I)] = 0,
    w_prior: Annotated[float, typer.Option(help="Behavioral weight on the public log-odds.")] = 1.0,
    w_agree: Annotated[float, typer.Option(help="Behavioral weight on agreeing signals.")] = 0.7,
    w_disagree: Annotated[float, typer.Option(help="Behavioral weight, contradicting.")] = 2.5,
    lam: Annotated[float | None, typer.Option(help="Behavioral logit choice noise.")] = None,
    beliefs: Annotated[int, typer.Option(help="Solver belief grid size.", **_I)] = 1001,
    precisions: Annotated[int, typer.Option(help="Solver precision grid size.", **_I)] = 201,
    exact: Annotated[bool, typer.Option(help="Also compute exact values.")] = True,
    workers: Annotated[int, typer.Option(help="Monte Carlo threads.", **_I)] = 1,
    policy_table: Annotated[Path | None, typer.Option(
        help='Also evaluate this policy: JSON {"b": [...], "q": [...]} covering b in [0, 1].',
    )] = None,
    out: Annotated[Path, typer.Option(help="Directory for welfare.json, welfare.png.")] = Path(
        "results/simulate"),
    max_runs: Annotated[int, typer.Option(help="Refuse more --runs than this.", **_I)] = MAX_RUNS,
) -> None:
    """Welfare and expenditure as % of the no-control baseline, with error bars."""
    import json

    from steerherd.agents import Behavioral
    from steerherd.files import check_output_dir, check_output_file
    from steerherd.sim.welfare import WelfareConfig, welfare_table

    config = WelfareConfig(p=p, k=k, C=C, delta=delta, prior=prior, runs=runs, agents=agents,
                           seed=seed, behavioral=Behavioral(w_prior, w_agree, w_disagree, lam),
                           beliefs=beliefs, precisions=precisions, exact=exact, workers=workers,
                           policy_table=None if policy_table is None else _table(policy_table),
                           max_runs=max_runs)
    check_output_dir(out, "--out")
    for name in ("welfare.json", "welfare.png"):
        check_output_file(out / name, "--out")
    table = _with_progress(config, welfare_table)
    (out / "welfare.json").write_text(json.dumps(table, indent=1, default=_json_default))
    _plot(table, out / "welfare.png")
    _print(table, out)


def _table(path: Path) -> Any:
    from steerherd.errors import ParameterError
    from steerherd.files import read_json
    from steerherd.sim.policies import PolicyTable

    data = read_json(path, "policy table")
    if not isinstance(data, dict) or "b" not in data or "q" not in data:
        raise ParameterError(f'{str(path)!r} must hold {{"b": [...], "q": [...]}}')
    try:
        b, q = tuple(map(float, data["b"])), tuple(map(float, data["q"]))
    except (TypeError, ValueError):
        raise ParameterError(f"policy table {str(path)!r}: b and q must be lists of numbers"
                             ) from None
    return PolicyTable(b, q)


def _with_progress(config: Any, fn: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    steps = 4 * (1 + 2) + 4  # per (planner, horizon): a solve and two states; 4 references
    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                  transient=True) as bar:
        task = bar.add_task("welfare table", total=steps)
        return fn(config, progress=lambda label: bar.update(task, advance=1, description=label))


def _json_default(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def _print(table: dict[str, Any], out: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    cfg = table["config"]
    console = Console()
    if not console.is_terminal:  # files and pipes: wide enough for the whole table
        console = Console(width=150)
    console.print(f"p={cfg['p']} k={cfg['k']} C={cfg['C']} delta={cfg['delta']} "
                  f"N={cfg['agents']} R={cfg['runs']} seed={cfg['seed']} "
                  f"behavioral={cfg['behavioral']}")
    grid = Table(title="welfare loss and expenditure, % of the no-control baseline (± 1 se)",
                 title_justify="left")
    for col in ("planner", "horizon", "ω", "setting", "loss %", "exact", "spend %",
                "welfare %", "P(wrong casc.)"):
        grid.add_column(col, justify="right" if "%" in col or "P(" in col or col == "exact"
                        else "left")
    for r in table["rows"]:
        ex = r.get("exact")
        grid.add_row(r["planner"], r["horizon"], r["state"], r["setting"],
                     f"{r['loss_pct']:.1f} ± {r['loss_pct_se']:.1f}",
                     "—" if not ex or ex["loss_pct"] is None else f"{ex['loss_pct']:.1f}",
                     f"{r['spend_pct']:.1f} ± {r['spend_pct_se']:.1f}",
                     f"{r['welfare_pct']:.1f}", f"{r['mc']['p_cascade_wrong']['mean']:.3f}")
    console.print(grid)
    console.print("loss % = 100·W/W_baseline (W: total utility ≤ 0; < 100 is better); "
                  "welfare % = 100·correct actions/baseline's (> 100 is better); spend % = "
                  "100·expenditure/|W_baseline|; the figure shows welfare % and expenditure % of "
                  "the baseline's welfare (C per correct action); see docs/populations.md")
    console.print(f"wrote {out / 'welfare.json'} and {out / 'welfare.png'}")


def _plot(table: dict[str, Any], path: Path) -> None:
    from steerherd.plotting import welfare_figure

    fig = welfare_figure(table)
    cfg = table["config"]
    fig.suptitle(f"p = {cfg['p']}, k = {cfg['k']}, δ = {cfg['delta']}, N = {cfg['agents']}, "
                 f"R = {cfg['runs']} (error bars: 95 % CI)", fontsize=8)
    fig.savefig(path, dpi=130)
