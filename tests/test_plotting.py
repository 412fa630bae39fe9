"""The plotting package: one palette that survives colour-vision deficiency, one regime map,
Figures without pyplot, and the welfare bars' gaps and intervals."""

from __future__ import annotations

import itertools
import math
import re

import numpy as np
import pytest

from steerherd.plotting import (
    MODE_STYLES,
    SETTING_STYLES,
    plot_regime_map,
    plot_welfare_bars,
    regime_map_figure,
)
from steerherd.plotting.palette import mode_style

# Machado, Oliveira & Fernandes (2009), severity 1, on linear sRGB.
CVD = {
    "normal": np.eye(3),
    "protanopia": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
}
#: Smallest CIE76 ΔE between two category colours under each vision (the issue measured 7.3
#: and 4.6 for the old red/green and green/orange pairs; 10 is clearly distinguishable).
MIN_DELTA_E = 10.0


def _lab(hex_colour: str, matrix: np.ndarray) -> np.ndarray:
    rgb = np.array([int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    lin = np.clip(matrix @ lin, 0, 1)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                    [0.0193, 0.1192, 0.9505]]) @ lin / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


@pytest.mark.parametrize("vision", list(CVD))
@pytest.mark.parametrize("styles", [MODE_STYLES, SETTING_STYLES], ids=["modes", "settings"])
def test_palette_is_distinguishable_under_colour_vision_deficiency(vision, styles) -> None:  # type: ignore[no-untyped-def]
    colours = [s.colour for s in styles.values()]
    worst = min(float(np.linalg.norm(_lab(a, CVD[vision]) - _lab(b, CVD[vision])))
                for a, b in itertools.combinations(colours, 2))
    assert worst >= MIN_DELTA_E, (vision, worst)


def test_every_category_has_a_second_cue() -> None:
    for styles in (MODE_STYLES, SETTING_STYLES):
        hatches = [s.hatch for s in styles.values() if s.hatch]  # one may go plain
        assert len(styles) - len(hatches) <= 1
        markers = [s.marker for s in styles.values()]
        assert len(set(hatches)) == len(hatches) and len(set(markers)) == len(markers)
    assert mode_style("limit_above").label == "limit_above"  # unknown modes still drawn


def test_plotting_imports_nothing_computational_and_no_pyplot() -> None:
    import subprocess
    import sys

    code = ("import sys, steerherd.plotting; "
            "bad = [m for m in ('matplotlib.pyplot', 'steerherd.dp', 'steerherd.sim.montecarlo',"
            " 'steerherd.api', 'scipy') if m in sys.modules]; print(bad); sys.exit(bool(bad))")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def _grid() -> dict:  # type: ignore[type-arg]
    b = np.linspace(0, 1, 11)
    values = [0.1, 0.2, 0.5]  # uneven on purpose
    mode = [["baseline" if x < 0.3 else "full" if x < 0.7 else "obfuscate" for x in b]
            for _ in values]
    return {"parameter": "k", "values": values, "belief": b.tolist(), "mode": mode}


def test_regime_map_draws_the_codes_and_a_hatch_per_hatched_mode() -> None:
    from matplotlib.figure import Figure

    ax = Figure().subplots()
    data = _grid()
    plot_regime_map(ax, data)
    image = np.asarray(ax.get_images()[0].get_array())
    names = list(MODE_STYLES)
    np.testing.assert_array_equal(image, np.vectorize(names.index)(np.asarray(data["mode"])))
    hatches = {h for c in ax.collections for h in (getattr(c, "hatches", None) or []) if h}
    assert mode_style("obfuscate").hatch in hatches
    assert ax.get_ylabel() == "cost scale $k$" and ax.get_xlabel() == "public belief $b$"
    fig = regime_map_figure([("a", data), ("b", data), ("c", data)], ncols=2)
    assert len([a for a in fig.axes if a.get_visible()]) == 3


def _row(setting: str, planner: str, value: float, runs: int, se: float = 1.0) -> dict:  # type: ignore[type-arg]
    return {"setting": setting, "planner": planner, "horizon": "forward", "state": "B",
            "runs": runs, "welfare_pct": value, "welfare_pct_se": se,
            **({"note": "baseline welfare is 0 (every baseline agent wrong): % undefined"}
               if math.isnan(value) else {})}


def test_welfare_bars_label_gaps_and_need_min_runs_for_an_interval() -> None:
    from matplotlib.figure import Figure

    ax = Figure().subplots()
    rows = [_row("analytical", "altruistic", 90.0, 50), _row("llm", "altruistic", math.nan, 3),
            _row("analytical", "biased", 60.0, 2)]
    plot_welfare_bars(ax, rows, "B", "welfare_pct", min_runs=10)
    texts = [t.get_text() for t in ax.texts]
    assert any("baseline" in t for t in texts)  # the undefined cell says why
    assert any("no complete" in t for t in texts)  # (biased, llm) was never run
    assert any("runs = 2 < 10" in t for t in texts)  # no interval from 2 runs
    from matplotlib.container import ErrorbarContainer

    # 2 bars and 2 gap outlines; only the 50-run bar has an interval
    assert sum(isinstance(c, ErrorbarContainer) for c in ax.containers) == 1
    assert "baseline welfare" in ax.get_ylabel()


def _pdf_facts(path) -> tuple[float, bool, bool]:  # type: ignore[no-untyped-def]
    """(page width in points, any Type 3 font, any embedded TrueType font program)."""
    raw = path.read_bytes()
    box = re.search(rb"/MediaBox\s*\[\s*([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)", raw)
    assert box is not None
    width = float(box.group(3)) - float(box.group(1))
    return width, b"/Type3" in raw, b"/FontFile2" in raw


def test_paper_figures_are_column_wide_with_truetype_fonts(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import importlib.util
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]

    def module(path: Path):  # type: ignore[no-untyped-def]
        sys.path.insert(0, str(path.parent))
        spec = importlib.util.spec_from_file_location(f"_p_{path.stem}", path)
        assert spec is not None and spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod

    sols = module(root / "sims/solutions_data.py").main(["--quick", "--out",
                                                         str(tmp_path / "s.json")])
    maps = module(root / "sims/regime_map_data.py").main(["--quick", "--out",
                                                         str(tmp_path / "m.json")])
    pdfs = []
    for name, data in (("fig1_value", sols), ("fig2_altruistic_policy", sols),
                       ("fig3_biased_policy", sols), ("fig4_regime_map", maps)):
        paths = module(root / f"paper_figures/{name}.py").main(
            ["--data", str(data), "--out", str(tmp_path / "fig")])
        pdfs += [p for p in paths if p.suffix == ".pdf"]
    for pdf in pdfs:
        width, type3, truetype = _pdf_facts(pdf)
        assert width <= 5.5 * 72 + 0.01, (pdf.name, width)  # one 5.5 in text column
        assert not type3 and truetype, pdf.name  # Type 42: TrueType programs embedded
