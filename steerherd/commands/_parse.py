"""Option parsers whose errors name the bad value.

``Invalid value for '--p': expected a number, got 'abc'``.
"""

from __future__ import annotations

import typer


def number(value: str | float) -> float:
    """A float option's parser."""
    try:
        return float(value)
    except (TypeError, ValueError):
        raise typer.BadParameter(f"expected a number, got {value!r}") from None


def whole_number(value: str | int) -> int:
    """An int option's parser."""
    try:
        return int(str(value))
    except ValueError:
        raise typer.BadParameter(f"expected a whole number, got {value!r}") from None
