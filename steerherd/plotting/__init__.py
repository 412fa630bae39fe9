"""Plots: each function takes data and Axes and returns the Axes; nothing is computed here.

matplotlib is imported by the caller; this package never switches the backend.
"""

from steerherd.plotting.figures import (
    MODE_COLOURS,
    SETTING_COLOURS,
    plot_bars,
    plot_deviation_histogram,
    plot_policy,
    plot_policy_curves,
    plot_policy_vs_optimum,
    plot_regime_map,
    plot_regimes_shaded,
    plot_reported_beliefs,
    plot_value,
    plot_value_functions,
    plot_welfare_bars,
)

__all__ = [
    "MODE_COLOURS",
    "SETTING_COLOURS",
    "plot_bars",
    "plot_deviation_histogram",
    "plot_policy",
    "plot_policy_curves",
    "plot_policy_vs_optimum",
    "plot_regime_map",
    "plot_regimes_shaded",
    "plot_reported_beliefs",
    "plot_value",
    "plot_value_functions",
    "plot_welfare_bars",
]
