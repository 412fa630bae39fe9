"""Option parsers whose errors name the bad value.

``Invalid value for '--p': expected a number, got 'abc'``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

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


@contextmanager
def no_pydantic_plugins() -> Iterator[None]:
    """Build steerherd's own pydantic models without looking for pydantic plugins.

    Pydantic looks for plugins (entry points of every installed distribution, ~5 ms) when
    it builds the first model; steerherd's spec models need none. typer builds its option
    adapters the same way (``typer._adapters.disabled_pydantic_plugins``). A user's own
    models, built later, still get their plugins: the lookup is only skipped, not cached.
    """
    previous = os.environ.get("PYDANTIC_DISABLE_PLUGINS")
    os.environ["PYDANTIC_DISABLE_PLUGINS"] = "1"
    try:
        yield
    finally:
        if previous is None:
            del os.environ["PYDANTIC_DISABLE_PLUGINS"]
        else:
            os.environ["PYDANTIC_DISABLE_PLUGINS"] = previous
