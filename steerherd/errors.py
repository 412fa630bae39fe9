"""Exception classes. Few and specific (STYLE §3.6)."""

from __future__ import annotations


class SteerherdError(Exception):
    """Base class for steerherd's own errors."""


class ParameterError(SteerherdError, ValueError):
    """A parameter, file or configuration value is outside what is allowed.

    The message names the value and what is allowed; the CLI prints it on one line
    and exits with code 2.
    """


class ConvergenceError(SteerherdError, RuntimeError):
    """An iterative solver stopped at its iteration limit without meeting its tolerance."""
