"""Plots: functions draw on given Axes, builders return ``matplotlib.figure.Figure`` objects.

Nothing is computed here (inputs are stored results), pyplot is never imported and the
backend is never switched. Modules: :mod:`~steerherd.plotting.palette` (the one colour-blind
safe palette with a second cue per category), :mod:`~steerherd.plotting.solutions` (V*, q*),
:mod:`~steerherd.plotting.regimes` (the one regime map), :mod:`~steerherd.plotting.welfare`
(welfare bars), :mod:`~steerherd.plotting.llm` (LLM experiment plots) and
:mod:`~steerherd.plotting.figures` (whole figures and the paper style).
"""

from steerherd.plotting.figures import (
    COLUMN,
    FULL,
    paper_style,
    solution_figure,
    welfare_figure,
)
from steerherd.plotting.llm import (
    llm_report_figures,
    plot_deviation_histogram,
    plot_estimates,
    plot_policy_vs_optimum,
    plot_reported_beliefs,
)
from steerherd.plotting.palette import MODE_STYLES, SETTING_STYLES, mode_style, setting_style
from steerherd.plotting.regimes import plot_regime_map, regime_map_figure
from steerherd.plotting.solutions import (
    plot_policy,
    plot_policy_curves,
    plot_regimes_shaded,
    plot_value,
    plot_value_functions,
)
from steerherd.plotting.welfare import MIN_RUNS, plot_bars, plot_welfare_bars

__all__ = [
    "COLUMN", "FULL", "MIN_RUNS", "MODE_STYLES", "SETTING_STYLES", "llm_report_figures",
    "mode_style", "paper_style", "plot_bars", "plot_deviation_histogram", "plot_estimates",
    "plot_policy", "plot_policy_curves", "plot_policy_vs_optimum", "plot_regime_map",
    "plot_regimes_shaded", "plot_reported_beliefs", "plot_value", "plot_value_functions",
    "plot_welfare_bars", "regime_map_figure", "setting_style", "solution_figure",
    "welfare_figure",
]
