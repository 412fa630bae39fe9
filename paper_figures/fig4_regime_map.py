"""Figure 4: regime maps, the mode at each (belief, k) and (belief, δ), for both planners.

Each mode has its own colour and hatch (the palette of ``steerherd.plotting``); the legend
shows only the modes that occur. Parameters: the [fig4] section of the figure config.

    python paper_figures/fig4_regime_map.py [--data results/regime_map.json] [--out figures]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from _common import COLUMN, load, parse, save

from steerherd.plotting import regime_map_figure

_SYMBOL = {"k": "k", "delta": "δ"}


def draw(data: dict[str, Any]) -> Any:
    """The figure from stored maps (no computation)."""
    panels = []
    for m in data["maps"]:
        fixed = ", ".join(f"{_SYMBOL.get(k, k)} = {v:g}" for k, v in m.get("fixed", {}).items())
        panels.append((f"{m['planner']}, {fixed}", m))
    d = data.get("defaults", {"p": data["p"], "cost": "linear"})
    title = f"p = {d['p']:g}, {d.get('cost', 'linear')} cost"
    return regime_map_figure(panels, width=COLUMN, ncols=2, panel_height=1.9, title=title)


def main(argv: list[str] | None = None) -> list[Path]:
    args = parse(__doc__.splitlines()[0], "results/regime_map.json", "fig4_regime_map", argv)
    return save(draw, (load(args.data),), args.out, args.name)


if __name__ == "__main__":
    main()
