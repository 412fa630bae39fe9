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
    from steerherd.files import check_output_dir

    root = _checkout()
    check_output_dir(results, "--results")
    check_output_dir(out, "--out")
    if llm_run is not None and not llm_run.is_dir():
        raise ParameterError(f"--llm-run {str(llm_run)!r} is not a run directory")
    cfg_mod = _module(root / "sims" / "figure_config.py")
    cfg = cfg_mod.load(config)
    cfg_args = ["--config", str(config)] if config is not None else []
    steps = _plan(results, quick, refresh, llm_run, cfg, cfg_mod)
    with _Progress(len(steps) + len(FIGURES)) as bar:
        made = _make(root, steps, results, out, quick, llm_run, cfg_args, bar)
    for path in made:
        typer.echo(str(path))
    bar.line(f"{len(made)} files in {bar.elapsed():.1f} s "
             f"({'quick' if quick else 'full'} data, config {cfg['_path']})")


def _make(root: Path, steps: list[tuple[Input, str]], results: Path, out: Path, quick: bool,
          llm_run: Path | None, cfg_args: list[str], bar: _Progress) -> list[Path]:
    """Compute the planned data, then draw every figure; report each step to ``bar``."""
    made: list[Path] = []
    for item, reason in steps:
        data = results / item.file
        extra = ["--run", str(llm_run)] if item is LLM and llm_run else []
        bar.start(f"data {data} <- {item.producer} ({reason})")
        module = _module(root / item.producer)
        argv = ["--out", str(data), *extra, *cfg_args, *(["--quick"] if quick else [])]
        if item is LLM and not llm_run:
            module.main(argv, progress=bar.units)  # one line (or bar update) per unit
        else:
            module.main(argv)
        bar.done(f"data {data}")
    for script, inputs in FIGURES:
        argv = ["--out", str(out)]
        for item in inputs:
            argv += [item.flag, str(results / item.file)]
        bar.start(f"figure {script}")
        made += _draw(root / "paper_figures" / f"{script}.py", argv,
                      [results / item.file for item in inputs])
        bar.done(f"figure {script}")
    return made


class _Progress:
    """Progress of ``figures``: a bar on a terminal, else one line per step.

    Off a terminal (logs, CI) each step, and each LLM unit, gets its own line.
    """

    def __init__(self, total: int) -> None:
        self.total, self.n, self.t0 = total, 0, time.perf_counter()
        self.step_t0 = self.t0
        self.tty = sys.stderr.isatty()
        self._bar: Any = None

    def __enter__(self) -> _Progress:
        if self.tty:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self._bar = Progress(TextColumn("{task.description}"), BarColumn(),
                                 MofNCompleteColumn(), TimeElapsedColumn(), transient=False,
                                 console=Console(stderr=True))
            self._bar.start()
            self._steps = self._bar.add_task("figures", total=self.total)
            self._units = self._bar.add_task("  llm units", total=None, visible=False)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def line(self, text: str) -> None:
        if self._bar is not None:
            self._bar.console.print(text, markup=False, highlight=False)
        else:
            _say(text)

    def start(self, what: str) -> None:
        self.n += 1
        self.step_t0 = time.perf_counter()
        if self._bar is not None:
            self._bar.update(self._steps, description=f"[{self.n}/{self.total}] {what}")
        else:
            _say(f"[{self.n}/{self.total}] {what}")

    def done(self, what: str) -> None:
        seconds = time.perf_counter() - self.step_t0
        if self._bar is not None:
            self._bar.advance(self._steps)
            self._bar.update(self._units, visible=False)
            self._bar.console.print(f"[{self.n}/{self.total}] {what} in {seconds:.1f} s",
                                    markup=False, highlight=False)
        else:
            _say(f"[{self.n}/{self.total}] {what} done in {seconds:.1f} s")

    def units(self, done: int, total: int, sent: int) -> None:
        if self._bar is not None:
            self._bar.update(self._units, completed=done, total=total, visible=True,
                             description=f"  llm units ({sent} calls sent)")
        else:
            _say(f"  llm: {done}/{total} units, {sent} calls sent")


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
    from steerherd.files import read_json

    try:
        stored = read_json(data, "results")
    except ParameterError as exc:  # a file we cannot read is not overwritten on a guess
        raise ParameterError(f"{exc}; recompute it with --refresh") from None
    have = stored.get("stamp") if isinstance(stored, dict) else None
    if not isinstance(have, dict):
        raise ParameterError(f"{str(data)!r} lacks the stamp figures data carry (older or "
                             "foreign data); recompute it with --refresh")
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

