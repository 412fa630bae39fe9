"""The paper's results as checks: theorem checks, the verify sweep, comparative statics."""

from steerherd.theory.theorems import (
    Q_TOL,
    THEOREMS,
    TITLES,
    TheoremResult,
    applicable,
    check,
    check_all,
    check_altruistic_regimes,
    check_biased_regimes,
    check_convexity,
    check_myopic_altruistic,
    check_myopic_biased,
    convexity_tolerance,
)

__all__ = [
    "Q_TOL",
    "THEOREMS",
    "TITLES",
    "TheoremResult",
    "applicable",
    "check",
    "check_all",
    "check_altruistic_regimes",
    "check_biased_regimes",
    "check_convexity",
    "check_myopic_altruistic",
    "check_myopic_biased",
    "convexity_tolerance",
]
