"""``steerherd figures``: make every paper figure, computing the data first where it is missing.

Data scripts live in ``sims/`` and write ``results/``; figure scripts live in
``paper_figures/`` and only read ``results/`` and write PNG and PDF under ``figures/``. Both
are found next to the package in a source checkout. Every parameter comes from a figure
config (``paper_figures/figures.toml``, or ``--config FILE``).

Quick and full data never mix: each data file is stamped with whether it is quick and the
hash of the config sections it was computed from; a run that finds data stamped otherwise
(quick data in a full run, or data of another config) says so and recomputes it.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from steerherd.errors import ParameterError


@dataclass(frozen=True)
class Input:
    """A data file a figure reads: its option, file name, producing script, config sections."""

    flag: str
    file: str
    producer: str
    sections: tuple[str, ...]


SOLUTIONS = Input("--data", "solutions.json", "sims/solutions_data.py",
                  ("grid", "fig1", "fig2", "fig3"))
REGIMES = Input("--data", "regime_map.json", "sims/regime_map_data.py", ("grid", "fig4"))
LLM = Input("--data", "llm_figures.json", "sims/llm_figures_data.py", ("llm",))
WELFARE = Input("--welfare", "welfare.json", "sims/welfare_data.py", ("fig5",))

#: Every figure script in paper_figures/ and what it reads.
FIGURES: tuple[tuple[str, tuple[Input, ...]], ...] = (
    ("fig1_value", (SOLUTIONS,)),
    ("fig2_altruistic_policy", (SOLUTIONS,)),
    ("fig3_biased_policy", (SOLUTIONS,)),
    ("fig4_regime_map", (REGIMES,)),
    ("fig5_welfare", (LLM, WELFARE)),
    ("fig6_llm_beliefs", (LLM,)),
    ("fig7_llm_planner", (LLM,)),
)



def figures(
    quick: Annotated[
        bool, typer.Option(help="Small configurations (CI); LLM data from the local model.")
    ] = False,
    config: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Figure config TOML (default: "
                                          "paper_figures/figures.toml of the checkout)."),
    ] = None,
    results: Annotated[Path, typer.Option(metavar="DIR", help="Directory of stored results.")
                       ] = Path("results"),
    out: Annotated[Path, typer.Option(metavar="DIR", help="Directory for the figures.")
                   ] = Path("figures"),
    refresh: Annotated[bool, typer.Option(help="Recompute the data even where it exists.")] = False,
    llm_run: Annotated[
        Path | None, typer.Option(metavar="DIR", help="Analyse this stored LLM run for figures "
                                                      "5-7 (no calls).")
    ] = None,
) -> None:
    """Make every paper figure (PNG and PDF), computing missing or stale data first."""
    root = _checkout()
    cfg_mod = _module(root / "sims" / "figure_config.py")
    cfg = cfg_mod.load(config)
    cfg_args = ["--config", str(config)] if config is not None else []
    steps = _plan(results, quick, refresh, llm_run, cfg, cfg_mod)
    total = len(steps) + len(FIGURES)
    made: list[Path] = []
    start = time.perf_counter()
    n = 0
    for item, reason in steps:
        n += 1
        data = results / item.file
        extra = ["--run", str(llm_run)] if item is LLM and llm_run else []
        extra += ["--progress"] if item is LLM and not llm_run else []
        _say(f"[{n}/{total}] data {data} <- {item.producer} ({reason})")
        t0 = time.perf_counter()
        _run(root / item.producer, ["--out", str(data), *extra, *cfg_args,
                                    *(["--quick"] if quick else [])])
        _say(f"[{n}/{total}] data {data} done in {time.perf_counter() - t0:.1f} s")
    for script, inputs in FIGURES:
        n += 1
        argv = ["--out", str(out)]
        for item in inputs:
            argv += [item.flag, str(results / item.file)]
        t0 = time.perf_counter()
        paths = _run(root / "paper_figures" / f"{script}.py", argv)
        _say(f"[{n}/{total}] figure {script} in {time.perf_counter() - t0:.1f} s")
        made += paths
    for path in made:
        typer.echo(str(path))
    _say(f"{len(made)} files in {time.perf_counter() - start:.1f} s "
         f"({'quick' if quick else 'full'} data, config {cfg['_path']})")


def _plan(results: Path, quick: bool, refresh: bool, llm_run: Path | None, cfg: dict[str, Any],
          cfg_mod: Any) -> list[tuple[Input, str]]:
    """The data files to (re)compute, each with the reason, in figure order."""
    steps: list[tuple[Input, str]] = []
    for item in dict.fromkeys(i for _, inputs in FIGURES for i in inputs):
        data = results / item.file
        want = cfg_mod.stamp(cfg, quick and not (item is LLM and llm_run), *item.sections)
        if item is LLM and llm_run:
            want["run"] = str(llm_run)
        if refresh:
            steps.append((item, "--refresh"))
        elif not data.exists():
            steps.append((item, "missing"))
        else:
            reason = _stale(data, want)
            if reason:
                steps.append((item, reason))
    return steps


def _stale(data: Path, want: dict[str, Any]) -> str | None:
    """Why stored data does not fit this run (None if it does)."""
    try:
        have = json.loads(data.read_text()).get("stamp")
    except (OSError, ValueError):
        return "unreadable: recomputing"
    if not isinstance(have, dict):
        return "no stamp (older data): recomputing"
    if have.get("quick") and not want["quick"]:
        return "holds quick data: recomputing at full size"
    if not have.get("quick") and want["quick"]:
        return "holds full data: recomputing quick data for a quick run"
    if have.get("config") != want["config"]:
        return "computed from another config: recomputing"
    if have.get("run") != want.get("run"):
        return "analysed another LLM run: recomputing"
    return None


def _say(line: str) -> None:
    typer.echo(line, err=True)
    sys.stderr.flush()


def _checkout() -> Path:
    root = Path(__file__).resolve().parents[2]
    if not (root / "paper_figures").is_dir() or not (root / "sims").is_dir():
        raise ParameterError(
            f"steerherd figures needs a source checkout (no paper_figures/ and sims/ in {root});"
            " clone the repository and install it with pip install -e ."
        )
    return root


def _module(script: Path) -> Any:
    """Import a script by path (its folder on sys.path, for its sibling imports)."""
    if not script.exists():
        raise ParameterError(f"missing script {script}")
    folder = str(script.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(f"_steerherd_{script.stem}", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(script: Path, argv: list[str]) -> Any:
    """Import a script by path and call its ``main(argv)``."""
    return _module(script).main(argv)

