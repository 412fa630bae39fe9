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
class Figure:
    """A figure script, the data file it reads and the data script (with args) that makes it."""

    script: str
    data: str
    producer: tuple[str, ...]


FIGURES = (
    Figure("fig1_value", "solutions.json", ("sims/solutions_data.py",)),
    Figure("fig2_altruistic_policy", "solutions.json", ("sims/solutions_data.py",)),
    Figure("fig3_biased_policy", "solutions.json", ("sims/solutions_data.py",)),
    Figure("fig4_regime_map", "regime_map.json", ("sims/regime_map_data.py",)),
)


def figures(
    quick: Annotated[bool, typer.Option(help="Small configurations (CI): minutes, not hours.")] = False,
    results: Annotated[Path, typer.Option(help="Directory of stored results.")] = Path("results"),
    out: Annotated[Path, typer.Option(help="Directory for the figures.")] = Path("figures"),
    refresh: Annotated[bool, typer.Option(help="Recompute the data even where it exists.")] = False,
) -> None:
    """Make every paper figure (PNG and PDF), computing missing data first."""
    root = _checkout()
    made: list[Path] = []
    fresh: set[Path] = set()  # data made in this run (several figures share one file)
    start = time.perf_counter()
    for fig in FIGURES:
        data = results / fig.data
        if data not in fresh and (refresh or not data.exists()):
            typer.echo(f"data  {data}  <- {fig.producer[0]}", err=True)
            _run(root / fig.producer[0], [*fig.producer[1:], "--out", str(data),
                                          *(["--quick"] if quick else [])])
            fresh.add(data)
        made += _run(root / "paper_figures" / f"{fig.script}.py",
                     ["--data", str(data), "--out", str(out)])
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
