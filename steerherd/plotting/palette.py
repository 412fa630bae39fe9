"""The one palette: colour-blind-safe colours (Okabe & Ito 2008) plus a second cue per mode.

Every categorical colour in the package comes from here. Colour is never the only cue:
each mode also has a hatch (areas), a marker (points) and a line style (lines), so the
figures read in greyscale and under deuteranopia / protanopia (``tests/test_plotting.py``
checks the colour distances under simulated colour-vision deficiency).
"""

from __future__ import annotations

from dataclasses import dataclass

#: Okabe–Ito colours, by name.
OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7",
}
#: A neutral grey for references (baseline, no control).
GREY = "#999999"


@dataclass(frozen=True)
class Style:
    """How one category is drawn: colour plus a redundant cue for each kind of artist."""

    colour: str
    hatch: str
    marker: str
    linestyle: str | tuple[int, tuple[int, ...]]
    label: str


#: Policy modes (``Solution.mode``). Unknown modes get :data:`FALLBACK`.
MODE_STYLES: dict[str, Style] = {
    "baseline": Style(GREY, "", "o", "-", "baseline q = p"),
    "full": Style(OKABE_ITO["blue"], "--", "s", "-", "full q = 1"),
    "informative": Style(OKABE_ITO["green"], "\\\\\\", "^", "--", "informative"),
    "obfuscate": Style(OKABE_ITO["vermillion"], "///", "v", ":", "obfuscate (supremum)"),
    "other": Style(OKABE_ITO["yellow"], "...", "D", "-.", "other"),
    "escape": Style(OKABE_ITO["orange"], "xx", "P", (0, (5, 1, 1, 1)),
                    "escape (q ↓ max(b, 1−b) ≥ p)"),
    "tip": Style(OKABE_ITO["sky"], "++", "X", (0, (3, 1, 1, 1)), "tip (q ↓ max(b, 1−b) < p)"),
}
#: Any mode not in :data:`MODE_STYLES` (e.g. one added by a newer solver).
FALLBACK = Style(OKABE_ITO["purple"], "oo", "*", (0, (1, 1)), "other")

#: Settings of a welfare table (simulations and LLM runs share the names).
SETTING_STYLES: dict[str, Style] = {
    "analytical": Style(OKABE_ITO["blue"], "", "o", "-", "analytical"),
    "llm": Style(OKABE_ITO["vermillion"], "///", "^", "--", "LLM"),
    "hybrid": Style(OKABE_ITO["orange"], "\\\\\\", "s", ":", "hybrid"),
    "behavioral": Style(OKABE_ITO["green"], "...", "D", "-.", "behavioral"),
    "always_full": Style(OKABE_ITO["sky"], "xx", "v", (0, (5, 1)), "always q = 1"),
    "llm_planner_bayesian": Style(OKABE_ITO["purple"], "++", "P", (0, (3, 1, 1, 1)),
                                  "LLM planner, Bayesian agents"),
    "always_full_llm": Style(OKABE_ITO["yellow"], "oo", "X", (0, (1, 1)),
                             "always q = 1, LLM agents"),
}

#: Series colours and line styles for several curves (solutions at different parameters).
SERIES: tuple[tuple[str, str | tuple[int, tuple[int, ...]]], ...] = (
    (OKABE_ITO["blue"], "-"), (OKABE_ITO["vermillion"], "--"), (OKABE_ITO["green"], ":"),
    (OKABE_ITO["purple"], "-."), (OKABE_ITO["orange"], (0, (5, 1))),
    (OKABE_ITO["sky"], (0, (3, 1, 1, 1, 1, 1))), (OKABE_ITO["black"], (0, (1, 2))),
)
#: Markers cycled with :data:`SERIES` where points are drawn.
MARKERS = ("o", "s", "^", "v", "D", "P", "X")


def mode_style(mode: str) -> Style:
    """The style of a policy mode (a fallback style, labelled with its name, if unknown)."""
    if mode in MODE_STYLES:
        return MODE_STYLES[mode]
    return Style(FALLBACK.colour, FALLBACK.hatch, FALLBACK.marker, FALLBACK.linestyle, mode)


def setting_style(setting: str) -> Style:
    """The style of a welfare-table setting (fallback for unknown settings)."""
    if setting in SETTING_STYLES:
        return SETTING_STYLES[setting]
    return Style(FALLBACK.colour, FALLBACK.hatch, FALLBACK.marker, FALLBACK.linestyle,
                 setting.replace("_", " "))


def series(i: int) -> tuple[str, str | tuple[int, tuple[int, ...]], str]:
    """Colour, line style and marker of the i-th curve of a multi-curve plot."""
    colour, ls = SERIES[i % len(SERIES)]
    return colour, ls, MARKERS[i % len(MARKERS)]
