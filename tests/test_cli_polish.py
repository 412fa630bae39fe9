"""CLI and interactive polish: help renders brackets, one metavar style, --version, the
solve header for people, sweep report's own help / --where / early --x check, and figure
data stamps (quick and full never mix)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

import steerherd as sh
from steerherd.cli import main
from steerherd.errors import ParameterError

ROOT = Path(__file__).resolve().parents[1]


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"steerherd {sh.__version__}"


@pytest.mark.parametrize("command", [["solve"], ["simulate"], ["verify"], ["sweep"],
                                     ["sweep", "report"], ["figures"], ["llm", "run"],
                                     ["llm", "replay"], ["llm", "report"], ["llm", "estimate"]])
def test_help_shows_brackets_one_metavar_style_defaults_and_an_example(
        command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*command, "--help"]) == 0
    out = capsys.readouterr().out
    assert "Example: steerherd " + " ".join(command).split()[0] in out
    assert not re.search(r"<(float|int|path|text|str|bool|list\[str\])>", out), out
    assert "( )" not in out and "of )" not in out and "write ." not in out
    # every option shows its default (or is required); minus --help
    options = len(re.findall(r"^ {2}(?:-\w, )?--[\w-]+", out, flags=re.M)) - 1
    assert out.count("default") + out.count("[required]") >= options


def test_replay_help_keeps_bracketed_words(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["llm", "replay", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "(fields of [model])" in out and "[default: RUN/replay]" in out


def test_sweep_report_has_its_own_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sweep", "report", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--where" in out and "--backend" not in out


def test_sweep_report_checks_x_before_printing_and_selects_panels(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "s.sqlite"
    assert main(["sweep", str(ROOT / "tests/data/sweep_small.toml"), "--db", str(db),
                 "--serial"]) == 0
    capsys.readouterr()
    assert main(["sweep", "report", str(db), "--x", "speed"]) == 2
    captured = capsys.readouterr()
    assert "instances" not in captured.out  # nothing printed before the error
    assert "--x must be one of" in captured.err
    png = tmp_path / "m.png"
    assert main(["sweep", "report", str(db), "--x", "p", "--where", "planner=biased",
                 "--out", str(png)]) == 0
    assert png.stat().st_size > 1000
    assert main(["sweep", "report", str(db), "--where", "speed=1"]) == 2


def test_sweep_report_warns_when_it_drops_panels(tmp_path: Path) -> None:
    from steerherd.sweep import report

    rows = [{"params": {"planner": "altruistic", "p": 0.7, "cost": {"family": "linear",
                                                                    "k": k}, "delta": d,
                        "C": 1.0, "horizon": None, "prior": 0.5},
             "grid": {"beliefs": 11, "precisions": 5}, "seconds": 0.0,
             "summary": {"thresholds": {}, "value_at_prior": 0.0, "certificate": {"gap": 0.0},
                         "regimes": [{"mode": "baseline", "lo": 0.0, "hi": 1.0}]}}
            for k in [0.1 * i for i in range(1, 16)] for d in (0.1, 0.5)]
    panels, dropped = report.mode_grids(rows, x="delta")
    assert len(panels) == report.MAX_PANELS and dropped == 15 - report.MAX_PANELS


def test_solution_explains_itself() -> None:
    sol = sh.solve(sh.Params(planner="biased", cost=sh.LinearCost(0.5)), beliefs=101,
                   precisions=21)
    text = repr(sol)
    assert 4 <= len(text.splitlines()) <= 8
    assert "{" not in text and "None" not in text  # no Python reprs
    assert all(len(line) <= 80 for line in text.splitlines() if "regimes" not in line)
    assert "t_1" in text and "converged" in text and "<table>" in sol._repr_html_()
    fig = sol.plot()
    assert fig.get_size_inches()[0] == pytest.approx(5.5)


def test_sim_summary_is_a_flat_table() -> None:
    from steerherd.sim import simulate

    res = simulate("baseline", sh.Params(), runs=200, agents=10, seed=1)
    summ = res.summary()
    assert summ["welfare"]["mean"] == pytest.approx(res.welfare.mean())
    rows = summ.rows()
    assert {r["metric"] for r in rows} >= {"welfare", "spend", "p_cascade_wrong"}
    assert all(set(r) == {"metric", "mean", "se"} for r in rows)
    assert str(summ).splitlines()[0].split() == ["metric", "mean", "se"]


def _figures_module():  # type: ignore[no-untyped-def]
    from steerherd.commands import figures

    return figures


def test_figure_data_stamps_keep_quick_and_full_apart(tmp_path: Path) -> None:
    figures = _figures_module()
    sys.path.insert(0, str(ROOT / "sims"))
    import figure_config  # type: ignore[import-not-found]

    cfg = figure_config.load(None)
    full = figure_config.stamp(cfg, False, "grid", "fig4")
    quick = figure_config.stamp(cfg, True, "grid", "fig4")
    data = tmp_path / "d.json"
    data.write_text(json.dumps({"stamp": quick}))
    assert "quick" in figures._stale(data, full)
    assert figures._stale(data, quick) is None
    data.write_text(json.dumps({"stamp": full | {"config": "other"}}))
    assert "another config" in figures._stale(data, full)
    data.write_text(json.dumps({"maps": []}))  # unstamped: refused, never overwritten
    with pytest.raises(ParameterError, match="lacks the stamp"):
        figures._stale(data, full)
    plan = figures._plan(tmp_path, False, False, None, cfg, figure_config)
    assert {item.file for item, _ in plan} == {"solutions.json", "regime_map.json",
                                               "llm_figures.json", "welfare.json"}


def test_figure_config_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                           ) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[grid]\n")
    assert main(["figures", "--config", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "lacks section" in err and "\n" not in err
