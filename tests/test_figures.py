"""Figure scripts on tiny data: the files appear and the plotted data are the stored data."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from steerherd.cli import main as cli_main

ROOT = Path(__file__).resolve().parents[1]


def _module(path: Path) -> ModuleType:
    sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location(f"_t_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("results")
    sols = _module(ROOT / "sims/solutions_data.py").main(["--quick", "--out", str(tmp / "s.json")])
    maps = _module(ROOT / "sims/regime_map_data.py").main(["--quick", "--out", str(tmp / "m.json")])
    return {"solutions": sols, "maps": maps}


def _lines(fig) -> list[np.ndarray]:  # type: ignore[no-untyped-def]
    return [np.asarray(line.get_ydata()) for ax in fig.axes for line in ax.get_lines()]


@pytest.mark.parametrize("name", ["fig1_value", "fig2_altruistic_policy", "fig3_biased_policy"])
def test_solution_figures_plot_stored_values(name: str, data, tmp_path) -> None:  # type: ignore[no-untyped-def]
    mod = _module(ROOT / f"paper_figures/{name}.py")
    stored = json.loads(data["solutions"].read_text())
    fig = mod.draw(stored)
    plotted = np.concatenate(_lines(fig))
    key = {"fig1_value": "value"}.get(name, "precision")
    wanted = [r for r in stored["solutions"]
              if r["figure"].startswith({"fig1_value": "value",
                                         "fig2_altruistic_policy": "altruistic_policy",
                                         "fig3_biased_policy": "biased_policy"}[name])]
    for row in wanted:  # every stored curve is drawn (segments between breakpoints)
        curve = np.asarray(row["solution"][key])
        # Breakpoints' own nodes are drawn as markers or not at all, so allow 1 % missing.
        assert np.isin(curve, plotted).mean() > 0.99
    paths = mod.main(["--data", str(data["solutions"]), "--out", str(tmp_path)])
    assert all(p.exists() and p.stat().st_size > 1000 for p in paths)
    assert {p.suffix for p in paths} == {".png", ".pdf"}


def test_regime_map_plots_stored_modes(data, tmp_path) -> None:  # type: ignore[no-untyped-def]
    mod = _module(ROOT / "paper_figures/fig4_regime_map.py")
    stored = json.loads(data["maps"].read_text())
    fig = mod.draw(stored)
    names = ["baseline", "full", "informative", "obfuscate", "other"]
    for ax, m in zip(fig.axes, stored["maps"], strict=False):
        image = np.asarray(ax.get_images()[0].get_array())
        np.testing.assert_array_equal(image, np.vectorize(names.index)(np.asarray(m["mode"])))
    assert all(p.exists() for p in mod.main(["--data", str(data["maps"]),
                                             "--out", str(tmp_path)]))


def test_figures_command_quick(tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    assert cli_main(["figures", "--quick"]) == 0
    made = sorted(p.name for p in (tmp_path / "figures").iterdir())
    assert "fig3_biased_policy.pdf" in made and "fig4_regime_map.png" in made
    assert (tmp_path / "results/solutions.json").exists()
