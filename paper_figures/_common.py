"""Shared helpers for the figure scripts: loading results, the paper style, saving PNG and PDF.

Figures are ``matplotlib.figure.Figure`` objects (no pyplot, no backend switch), drawn and
saved inside :func:`steerherd.plotting.paper_style` (5.5 in column, Type 42 fonts).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from steerherd.plotting import COLUMN, FULL, paper_style

__all__ = ["COLUMN", "FULL", "figure", "load", "parse", "save"]


def parse(description: str, data: str, out: str, argv: list[str] | None) -> argparse.Namespace:
    """--data PATH (stored results), --out DIR (where PNG and PDF go), --name STEM."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--data", type=Path, default=Path(data))
    ap.add_argument("--out", type=Path, default=Path("figures"))
    ap.add_argument("--name", default=out, help="file stem of the figure")
    return ap.parse_args(argv)


def load(path: Path) -> Any:
    """Read stored results; a missing file names the command that makes it."""
    if not path.exists():
        raise SystemExit(f"error: {path} not found; run `steerherd figures` to make the data")
    return json.loads(path.read_text())


def figure(width: float, height: float) -> Any:
    """A constrained-layout Figure of the given size in inches (call inside paper_style)."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def save(draw: Callable[..., Any], args: tuple[Any, ...], out: Path, name: str) -> list[Path]:
    """Draw in the paper style and write ``out/name.png`` and ``out/name.pdf``."""
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / f"{name}.png", out / f"{name}.pdf"]
    with paper_style():
        fig = draw(*args)
        for path in paths:
            fig.savefig(path)
    return paths
