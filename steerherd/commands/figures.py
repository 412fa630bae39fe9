"""``steerherd figures``: make every paper figure, computing the data first where it is missing.

Data scripts live in ``sims/`` and write ``results/``; figure scripts live in
``paper_figures/`` and only read ``results/`` and write PNG and PDF under ``figures/``. Both
are found next to the package in a source checkout.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from steerherd.errors import ParameterError


@dataclass(frozen=True)
class Input:
    """A data file a figure reads: its option, file name and the script that makes it."""

    flag: str
    file: str
    producer: str


SOLUTIONS = Input("--data", "solutions.json", "sims/solutions_data.py")
REGIMES = Input("--data", "regime_map.json", "sims/regime_map_data.py")
LLM = Input("--data", "llm_figures.json", "sims/llm_figures_data.py")
WELFARE = Input("--welfare", "welfare.json", "sims/welfare_data.py")

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
    results: Annotated[Path, typer.Option(help="Directory of stored results.")] = Path("results"),
    out: Annotated[Path, typer.Option(help="Directory for the figures.")] = Path("figures"),
    refresh: Annotated[bool, typer.Option(help="Recompute the data even where it exists.")] = False,
    llm_run: Annotated[
        Path | None, typer.Option(help="Analyse this stored LLM run for figures 5-7 (no calls).")
    ] = None,
) -> None:
    """Make every paper figure (PNG and PDF), computing missing data first."""
    from steerherd.files import check_output_dir

    root = _checkout()
    check_output_dir(results, "--results")
    check_output_dir(out, "--out")
    if llm_run is not None and not llm_run.is_dir():
        raise ParameterError(f"--llm-run {str(llm_run)!r} is not a run directory")
    made: list[Path] = []
    fresh: set[Path] = set()  # data made in this run (several figures share one file)
    start = time.perf_counter()
    for script, inputs in FIGURES:
        argv = ["--out", str(out)]
        for item in inputs:
            data = results / item.file
            if data not in fresh and (refresh or not data.exists()):
                extra = ["--run", str(llm_run)] if item is LLM and llm_run else []
                typer.echo(f"data  {data}  <- {item.producer}", err=True)
                _run(root / item.producer, ["--out", str(data), *extra,
                                            *(["--quick"] if quick else [])])
                fresh.add(data)
            argv += [item.flag, str(data)]
        made += _draw(root / "paper_figures" / f"{script}.py", argv,
                      [results / item.file for item in inputs])
    for path in made:
        typer.echo(str(path))
    typer.echo(f"{len(made)} files in {time.perf_counter() - start:.1f} s", err=True)


def _checkout() -> Path:
    root = Path(__file__).resolve().parents[2]
    if not (root / "paper_figures").is_dir() or not (root / "sims").is_dir():
        raise ParameterError(
            f"steerherd figures needs a source checkout (no paper_figures/ and sims/ in {root});"
            " clone the repository and install it with pip install -e ."
        )
    return root


def _draw(script: Path, argv: list[str], data: list[Path]) -> Any:
    """Run a figure script on stored data, refusing data it cannot read in one line.

    Each data file is parsed first (a truncated or non-UTF-8 file is named); a file that
    parses but lacks what the figure reads (another file's content, an old layout) is
    named with the missing piece, and ``--refresh`` recomputes it.
    """
    from steerherd.files import read_json

    for path in data:
        try:
            read_json(path, "results")
        except ParameterError as exc:
            raise ParameterError(f"{exc}; recompute it with --refresh") from None
    try:
        return _run(script, argv)
    except (KeyError, IndexError, TypeError, AttributeError) as exc:
        names = ", ".join(repr(str(p)) for p in data)
        raise ParameterError(f"{script.stem}: {names} lacks what the figure reads "
                             f"({type(exc).__name__}: {exc}); recompute it with --refresh"
                             ) from None


def _run(script: Path, argv: list[str]) -> Any:
    """Import a script by path and call its ``main(argv)``."""
    if not script.exists():
        raise ParameterError(f"missing script {script}")
    folder = str(script.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(f"_steerherd_{script.stem}", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main(argv)
