"""Shared helpers for the figure scripts: loading results, style, saving PNG and PDF."""

from __future__ import annotations

import argparse
import json
from importlib.resources import files
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

#: Figure widths in inches: one column and two columns of a paper.
COLUMN = 3.4
FULL = 7.0


def parse(description: str, data: str, out: str, argv: list[str] | None) -> argparse.Namespace:
    """--data PATH (stored results) and --out DIR (where PNG and PDF go)."""
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


def style() -> None:
    """Use the package's style sheet."""
    plt.style.use(str(files("steerherd") / "paper.mplstyle"))


def save(fig: Any, out: Path, name: str) -> list[Path]:
    """Write ``out/name.png`` and ``out/name.pdf``; return both paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / f"{name}.png", out / f"{name}.pdf"]
    for path in paths:
        fig.savefig(path)
    plt.close(fig)
    return paths
