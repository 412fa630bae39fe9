"""Bad input, command by command: exit 2, one line, no traceback, no file touched.

Each case runs the CLI in this process (``steerherd.cli.main``) in a fresh directory that
holds the same fixtures: a sweep store, an LLM run store, an empty, a text, a damaged and
a foreign SQLite file, policy tables and results files broken in various ways. Every case
must exit with code 2, print exactly one line (``error: ...``) on stderr and nothing on
stdout, show no traceback, leave every fixture byte for byte as it was and create no file.
The ``llm`` commands have their own table (issue 12's LLM items).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from steerherd.cli import main

SMALL = Path(__file__).parent / "data" / "sweep_small.toml"
HUGE_GRID = "[axes]\n" + "".join(
    f"{a} = [{', '.join(str(v) for v in vals)}]\n" for a, vals in {
        "p": [0.55 + 0.04 * i for i in range(10)], "k": [0.1 * (i + 1) for i in range(10)],
        "delta": [0.09 * i for i in range(10)], "C": [1.0 + i for i in range(10)],
        "prior": [0.05 + 0.09 * i for i in range(10)], "alpha": [0.1 * (i + 1) for i in range(10)],
        "cost": ['"linear"', '"power"'], "planner": ['"altruistic"', '"biased"'],
        "beliefs": [101 + 10 * i for i in range(10)], "precisions": [21 + i for i in range(10)],
        "horizon": ['"inf"'] + [str(10 * (i + 1)) for i in range(9)]}.items())
RANDOM = 'design = "random"\nsamples = 4\n[axes]\n'

#: The files every case starts with (name -> content; made once per module).
TEXT_FILES: dict[str, bytes] = {
    "notes.txt": b"just some notes\n" * 20,
    "empty.sqlite": b"",
    "good.toml": SMALL.read_bytes(),
    "cfg_p.toml": b"[axes]\np = [1.2]\n",
    "cfg_planner.toml": b'[axes]\nplanner = ["selfish"]\n',
    "cfg_delta.toml": b"[axes]\ndelta = [1.0]\n",
    "cfg_empty_axis.toml": b"[axes]\np = []\n",
    "cfg_bogus.toml": b"bogus = 1\n",
    "cfg_unknown_axis.toml": b"[axes]\nspeed = [1]\n",
    "cfg_bad_toml.toml": b"[axes]\np = [0.6,\n",
    "cfg_not_utf8.toml": b"[axes]\np = [0.6]\n# caf\xe9\n",
    "cfg_random_nosamples.toml": b'design = "random"\n',
    "cfg_log_zero.toml": (RANDOM + "k = {low = 0, high = 1, log = true}\n").encode(),
    "cfg_low_high.toml": (RANDOM + "p = {low = 0.9, high = 0.6}\n").encode(),
    "cfg_range_nan.toml": (RANDOM + "p = {low = nan, high = 0.9}\n").encode(),
    "cfg_range_outside.toml": (RANDOM + "p = {low = 0.3, high = 0.9}\n").encode(),
    "cfg_grid_range.toml": b"[axes]\np = {low = 0.6, high = 0.9}\n",
    "cfg_samples_zero.toml": b'design = "random"\nsamples = 0\n',
    "cfg_samples_huge.toml": b'design = "random"\nsamples = 100000000000\n',
    "cfg_grid_huge.toml": HUGE_GRID.encode(),
    "cfg_seed.toml": b"seed = -1\n",
    "cfg_epsilon.toml": b"epsilon = 0\n",
    "cfg_epsilon_nan.toml": b"epsilon = nan\n",
    "cfg_horizon.toml": b"[axes]\nhorizon = [0]\n",
    "cfg_beliefs_small.toml": b"[axes]\nbeliefs = [5]\n",
    "cfg_beliefs_huge.toml": b"[axes]\nbeliefs = [100000000]\n",
    "cfg_precisions_huge.toml": b"[axes]\nprecisions = [100000000]\n",
    "cfg_method.toml": b'method = "simplex"\n',
    "cfg_backend.toml": b'backend = "cuda"\n',
    "cfg_k_negative.toml": b"[axes]\nk = [-0.5]\n",
    "cfg_C_zero.toml": b"[axes]\nC = [0]\n",
    "cfg_prior.toml": b"[axes]\nprior = [1.5]\n",
    "cfg_alpha.toml": b'[axes]\ncost = ["power"]\nalpha = [1.5]\n',
    "cfg_p_string.toml": b'[axes]\np = ["high"]\n',
    "table_not_utf8.json": b'{"b": [0, 1], "q": [0.7, 0.7], "note": "\xff"}',
    "table_truncated.json": b'{"b": [0, 0.5, 1], "q": [0.7, ',
    "table_shape.json": b'[[0, 0.7], [1, 0.7]]',
    "table_strings.json": b'{"b": ["x", "y"], "q": [0.7, 0.7]}',
    "table_nan.json": b'{"b": [0, NaN, 1], "q": [0.7, 0.7, 0.7]}',
    "table_cover.json": b'{"b": [0.2, 1], "q": [0.7, 0.7]}',
    "table_q.json": b'{"b": [0, 1], "q": [0.7, 1.5]}',
    "table_lengths.json": b'{"b": [0, 0.5, 1], "q": [0.7, 0.7]}',
    "table_order.json": b'{"b": [0, 0.8, 0.5, 1], "q": [0.7, 0.7, 0.7, 0.7]}',
    "truncated/solutions.json": b'{"p": 0.7, "solutions": [{"label": "a", "solu',
    "not_utf8/solutions.json": b'{"p": 0.7, "caf\xe9": 1}',
    "foreign/solutions.json": b'{"rows": []}',
    "adir/keep.txt": b"a file in a directory\n",
    "outdir/solution.json/keep.txt": b"solution.json is a directory here\n",
}


def _stores(folder: Path) -> None:
    from steerherd.llm.store import RunStore

    assert main(["sweep", str(SMALL), "--db", str(folder / "store.sqlite"), "--serial"]) == 0
    RunStore(folder / "run.sqlite").close()
    data = bytearray((folder / "store.sqlite").read_bytes())
    data[2 * 4096:2 * 4096 + 64] = b"\xa5" * 64
    (folder / "corrupt.sqlite").write_bytes(bytes(data))
    with sqlite3.connect(folder / "foreign.sqlite") as con:
        con.execute("CREATE TABLE people (name TEXT)")
    (folder / "store.sqlite.lock").unlink(missing_ok=True)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bad_input_template")
    for name, content in TEXT_FILES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content)
    _stores(folder)
    return folder


def _snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


S, V, M = "solve", "verify", "simulate"
SIM = ["simulate", "--runs", "50", "--agents", "5", "--beliefs", "51", "--precisions", "11"]
SOLVE = ["solve", "--beliefs", "51", "--precisions", "11"]

#: (id, argv, a piece of the expected message). Grouped by command.
CASES: list[tuple[str, list[str], str]] = [
    # --- solve: the problem, through the spec -------------------------------------------
    ("solve-p-high", [*SOLVE, "--p", "1.2"], "p must be in"),
    ("solve-p-low", [*SOLVE, "--p", "0.4"], "p must be in"),
    ("solve-p-nan", [*SOLVE, "--p", "nan"], "p"),
    ("solve-p-text", [*SOLVE, "--p", "abc"], "expected a number"),
    ("solve-k-negative", [*SOLVE, "--k", "-1"], "k"),
    ("solve-k-inf", [*SOLVE, "--k", "inf"], "k"),
    ("solve-C-zero", [*SOLVE, "--C", "0"], "C"),
    ("solve-C-negative", [*SOLVE, "--C", "-2"], "C"),
    ("solve-delta-one", [*SOLVE, "--delta", "1"], "delta"),
    ("solve-delta-negative", [*SOLVE, "--delta", "-0.1"], "delta"),
    ("solve-delta-inf", [*SOLVE, "--delta", "inf"], "delta"),
    ("solve-prior-high", [*SOLVE, "--prior", "1.5"], "prior"),
    ("solve-prior-negative", [*SOLVE, "--prior", "-0.1"], "prior"),
    ("solve-power-no-alpha", [*SOLVE, "--cost", "power"], "needs alpha"),
    ("solve-alpha-linear", [*SOLVE, "--alpha", "0.5"], "alpha applies to the power cost"),
    ("solve-alpha-zero", [*SOLVE, "--cost", "power", "--alpha", "0"], "alpha"),
    ("solve-alpha-high", [*SOLVE, "--cost", "power", "--alpha", "1.5"], "alpha"),
    ("solve-cost-family", [*SOLVE, "--cost", "cubic"], "cubic"),
    ("solve-planner", [*SOLVE, "--planner", "selfish"], "selfish"),
    ("solve-method", [*SOLVE, "--method", "simplex"], "simplex"),
    ("solve-beliefs-huge", ["solve", "--beliefs", "100000000"], "200,001"),
    ("solve-beliefs-small", ["solve", "--beliefs", "5"], "beliefs"),
    ("solve-beliefs-float", ["solve", "--beliefs", "1e3"], "whole number"),
    ("solve-precisions-huge", ["solve", "--precisions", "100000000"], "20,001"),
    ("solve-precisions-one", ["solve", "--precisions", "1"], "precisions"),
    ("solve-horizon-zero", [*SOLVE, "--horizon", "0"], "horizon"),
    ("solve-horizon-negative", [*SOLVE, "--horizon", "-3"], "horizon"),
    ("solve-unknown-option", [*SOLVE, "--speed", "3"], "--speed"),
    ("solve-extra-argument", [*SOLVE, "now"], "now"),
    # --- solve: outputs, refused before solving ---------------------------------------------
    ("solve-out-is-file", [*SOLVE, "--out", "notes.txt"], "notes.txt"),
    ("solve-out-under-file", [*SOLVE, "--out", "notes.txt/sub"], "is a file"),
    ("solve-out-holds-dir", [*SOLVE, "--out", "outdir"], "is a directory"),
    ("solve-json-dir", [*SOLVE, "--json", "adir"], "is a directory"),
    ("solve-json-missing-dir", [*SOLVE, "--json", "/nonexistent/x.json"], "does not exist"),
    ("solve-json-under-file", [*SOLVE, "--json", "notes.txt/x.json"], "is a file"),
    ("solve-json-store", [*SOLVE, "--json", "store.sqlite"], "SQLite store"),
    ("solve-json-run-store", [*SOLVE, "--json", "run.sqlite"], "SQLite store"),
    # --- verify --------------------------------------------------------------------------
    ("verify-instances-zero", ["verify", "--instances", "0"], "--instances"),
    ("verify-instances-negative", ["verify", "--instances", "-5"], "--instances"),
    ("verify-instances-huge", ["verify", "--instances", "10000000"], "--max-instances"),
    ("verify-instances-text", ["verify", "--instances", "many"], "many"),
    ("verify-seed", ["verify", "--instances", "1", "--seed", "-1"], "--seed"),
    ("verify-beliefs-small", ["verify", "--instances", "1", "--beliefs", "5"], "beliefs"),
    ("verify-beliefs-huge", ["verify", "--instances", "1", "--beliefs", "100000"], "4x finer"),
    ("verify-precisions-one", ["verify", "--instances", "1", "--precisions", "1"], "precisions"),
    ("verify-precisions-huge", ["verify", "--instances", "1", "--precisions", "10000"],
     "4x finer"),
    ("verify-json-dir", ["verify", "--instances", "1", "--json", "adir"], "is a directory"),
    ("verify-json-missing-dir", ["verify", "--instances", "1", "--json", "/nonexistent/r.json"],
     "does not exist"),
    ("verify-json-store", ["verify", "--instances", "1", "--json", "store.sqlite"],
     "SQLite store"),
    ("verify-max-instances", ["verify", "--instances", "3", "--max-instances", "2"],
     "--max-instances"),
    # --- simulate: the problem and the sizes -----------------------------------------------
    ("simulate-p", [*SIM, "--p", "1.2"], "p must be in"),
    ("simulate-k", [*SIM, "--k", "-1"], "k"),
    ("simulate-C", [*SIM, "--C", "0"], "C"),
    ("simulate-delta", [*SIM, "--delta", "1"], "delta"),
    ("simulate-prior", [*SIM, "--prior", "2"], "prior"),
    ("simulate-p-nan", [*SIM, "--p", "nan"], "p"),
    ("simulate-seed", [*SIM, "--seed", "-1"], "seed"),
    ("simulate-runs-zero", [*SIM, "--runs", "0"], "runs"),
    ("simulate-runs-huge", [*SIM, "--runs", "100000000"], "--max-runs"),
    ("simulate-runs-text", [*SIM, "--runs", "1e8"], "1e8"),
    ("simulate-agents-zero", [*SIM, "--agents", "0"], "agents"),
    ("simulate-agents-huge", [*SIM, "--agents", "10000000"], "agents"),
    ("simulate-workers-zero", [*SIM, "--workers", "0"], "workers"),
    ("simulate-w-agree", [*SIM, "--w-agree", "0"], "w_agree"),
    ("simulate-w-disagree", [*SIM, "--w-disagree", "-1"], "w_disagree"),
    ("simulate-lam-zero", [*SIM, "--lam", "0"], "lam"),
    ("simulate-lam-nan", [*SIM, "--lam", "nan"], "lam"),
    ("simulate-beliefs", [*SIM, "--beliefs", "5"], "beliefs"),
    ("simulate-precisions-huge", [*SIM, "--precisions", "100000000"], "precisions"),
    ("simulate-max-runs", [*SIM, "--max-runs", "10"], "--max-runs"),
    # --- simulate: files -----------------------------------------------------------------
    ("simulate-table-not-utf8", [*SIM, "--policy-table", "table_not_utf8.json"], "UTF-8"),
    ("simulate-table-truncated", [*SIM, "--policy-table", "table_truncated.json"], "not JSON"),
    ("simulate-table-shape", [*SIM, "--policy-table", "table_shape.json"], "must hold"),
    ("simulate-table-strings", [*SIM, "--policy-table", "table_strings.json"], "numbers"),
    ("simulate-table-nan", [*SIM, "--policy-table", "table_nan.json"], "finite"),
    ("simulate-table-cover", [*SIM, "--policy-table", "table_cover.json"], "cover"),
    ("simulate-table-q", [*SIM, "--policy-table", "table_q.json"], "[0.5, 1]"),
    ("simulate-table-lengths", [*SIM, "--policy-table", "table_lengths.json"], "as many"),
    ("simulate-table-order", [*SIM, "--policy-table", "table_order.json"], "increasing"),
    ("simulate-table-dir", [*SIM, "--policy-table", "adir"], "directory"),
    ("simulate-table-missing", [*SIM, "--policy-table", "none.json"], "not found"),
    ("simulate-table-store", [*SIM, "--policy-table", "store.sqlite"], "UTF-8"),
    ("simulate-out-file", [*SIM, "--out", "notes.txt"], "is a file"),
    ("simulate-out-under-file", [*SIM, "--out", "notes.txt/sub"], "is a file"),
    # --- sweep: the config, through the spec ------------------------------------------------
    *[(f"sweep-{name[4:-5].replace('_', '-')}", ["sweep", name, "--db", "new.sqlite",
                                                  "--serial"], match)
      for name, match in [
          ("cfg_p.toml", "p must be in"), ("cfg_planner.toml", "axes.planner.0"),
          ("cfg_delta.toml", "delta must be in"), ("cfg_empty_axis.toml", "is empty"),
          ("cfg_bogus.toml", "bogus"), ("cfg_unknown_axis.toml", "axes.speed"),
          ("cfg_bad_toml.toml", "not valid TOML"), ("cfg_not_utf8.toml", "UTF-8"),
          ("cfg_random_nosamples.toml", "needs samples"), ("cfg_log_zero.toml", "low > 0"),
          ("cfg_low_high.toml", "low must be <= high"), ("cfg_range_nan.toml", "axes.p"),
          ("cfg_range_outside.toml", "p must be in"), ("cfg_grid_range.toml", "grid design"),
          ("cfg_samples_zero.toml", "samples"), ("cfg_samples_huge.toml", "--max-instances"),
          ("cfg_grid_huge.toml", "--max-instances"), ("cfg_seed.toml", "seed"),
          ("cfg_epsilon.toml", "epsilon"), ("cfg_epsilon_nan.toml", "epsilon"),
          ("cfg_horizon.toml", "horizon"), ("cfg_beliefs_small.toml", "beliefs"),
          ("cfg_beliefs_huge.toml", "200,001"), ("cfg_precisions_huge.toml", "20,001"),
          ("cfg_method.toml", "method"), ("cfg_backend.toml", "backend"),
          ("cfg_k_negative.toml", "k"), ("cfg_C_zero.toml", "C"), ("cfg_prior.toml", "prior"),
          ("cfg_alpha.toml", "alpha"), ("cfg_p_string.toml", "axes.p"),
      ]],
    ("sweep-config-missing", ["sweep", "none.toml", "--serial"], "no sweep config"),
    ("sweep-config-dir", ["sweep", "adir", "--serial"], "directory"),
    ("sweep-config-store", ["sweep", "store.sqlite", "--serial"], "UTF-8"),
    # --- sweep: options and the store ------------------------------------------------------
    ("sweep-workers-zero", ["sweep", "good.toml", "--db", "new.sqlite", "--workers", "0"],
     "--workers"),
    ("sweep-workers-negative", ["sweep", "good.toml", "--db", "new.sqlite", "--workers", "-2"],
     "--workers"),
    ("sweep-workers-huge", ["sweep", "good.toml", "--db", "new.sqlite", "--workers", "100000"],
     "--workers"),
    ("sweep-chunk-zero", ["sweep", "good.toml", "--db", "new.sqlite", "--chunk", "0"],
     "--chunk"),
    ("sweep-chunk-negative", ["sweep", "good.toml", "--db", "new.sqlite", "--chunk", "-3"],
     "--chunk"),
    ("sweep-max-instances", ["sweep", "good.toml", "--db", "new.sqlite", "--max-instances",
                             "4"], "--max-instances"),
    ("sweep-backend-option", ["sweep", "good.toml", "--db", "new.sqlite", "--backend", "foo"],
     "--backend"),
    ("sweep-dask-address", ["sweep", "good.toml", "--db", "new.sqlite", "--dask", "udp://x"],
     "--dask"),
    ("sweep-extra-argument", ["sweep", "good.toml", "other.sqlite"], "--db"),
    ("sweep-db-dir", ["sweep", "good.toml", "--db", "adir", "--serial"], "directory"),
    ("sweep-db-text", ["sweep", "good.toml", "--db", "notes.txt", "--serial"],
     "not an SQLite file"),
    ("sweep-db-empty", ["sweep", "good.toml", "--db", "empty.sqlite", "--serial"], "empty file"),
    ("sweep-db-run-store", ["sweep", "good.toml", "--db", "run.sqlite", "--serial"],
     "LLM run store"),
    ("sweep-db-corrupt", ["sweep", "good.toml", "--db", "corrupt.sqlite", "--serial"],
     "damaged"),
    ("sweep-db-foreign", ["sweep", "good.toml", "--db", "foreign.sqlite", "--serial"],
     "did not write"),
    ("sweep-db-under-file", ["sweep", "good.toml", "--db", "notes.txt/r.sqlite", "--serial"],
     "notes.txt"),
    # --- sweep report ---------------------------------------------------------------------
    ("report-no-store", ["sweep", "report"], "needs the results store"),
    ("report-missing", ["sweep", "report", "none.sqlite"], "not found"),
    ("report-dir", ["sweep", "report", "adir"], "directory"),
    ("report-text", ["sweep", "report", "notes.txt", "--out", "m.png"], "not an SQLite file"),
    ("report-empty", ["sweep", "report", "empty.sqlite", "--out", "m.png"], "empty file"),
    ("report-run-store", ["sweep", "report", "run.sqlite", "--out", "m.png"], "LLM run store"),
    ("report-corrupt", ["sweep", "report", "corrupt.sqlite", "--out", "m.png"], "damaged"),
    ("report-foreign", ["sweep", "report", "foreign.sqlite", "--out", "m.png"], "did not write"),
    ("report-limit", ["sweep", "report", "store.sqlite", "--limit", "-1"], "--limit"),
    ("report-x", ["sweep", "report", "store.sqlite", "--out", "m.png", "--x", "speed"], "--x"),
    ("report-out-dir", ["sweep", "report", "store.sqlite", "--out", "adir"], "is a directory"),
    ("report-out-under-file", ["sweep", "report", "store.sqlite", "--out", "notes.txt/m.png"],
     "is a file"),
    ("report-out-store", ["sweep", "report", "store.sqlite", "--out", "run.sqlite"],
     "SQLite store"),
    ("report-out-suffix", ["sweep", "report", "store.sqlite", "--out", "map.txt"], ".png"),
    # --- figures --------------------------------------------------------------------------
    ("figures-truncated", ["figures", "--results", "truncated", "--out", "figs"], "not JSON"),
    ("figures-not-utf8", ["figures", "--results", "not_utf8", "--out", "figs"], "UTF-8"),
    ("figures-foreign", ["figures", "--results", "foreign", "--out", "figs"], "lacks"),
    ("figures-results-file", ["figures", "--results", "notes.txt"], "is a file"),
    ("figures-out-file", ["figures", "--results", "truncated", "--out", "notes.txt"],
     "is a file"),
    ("figures-llm-run", ["figures", "--results", "truncated", "--out", "figs", "--llm-run",
                         "nowhere"], "--llm-run"),
]


@pytest.mark.parametrize(("argv", "match"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_exit_2_and_touches_nothing(
    template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], argv: list[str], match: str
) -> None:
    work = tmp_path / "w"
    shutil.copytree(template, work)
    monkeypatch.chdir(work)
    before = _snapshot(work)
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code == 2, (code, out, err)
    assert "Traceback" not in out + err
    assert out == "", out
    assert err.count("\n") == 1 and err.startswith("error: "), err
    assert match in err, err
    after = _snapshot(work)
    assert after == before, sorted(set(after.items()) ^ set(before.items()))


def test_the_table_is_large_and_covers_every_command() -> None:
    commands = {c[1][0] if c[1][:2] != ["sweep", "report"] else "sweep report" for c in CASES}
    assert commands == {"solve", "verify", "simulate", "sweep", "sweep report", "figures"}
    assert len(CASES) >= 120
    assert len({c[0] for c in CASES}) == len(CASES)


def test_a_good_command_in_the_same_setting_succeeds(template: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The fixtures are sound: the refusals above are about the bad value, not the setting."""
    work = tmp_path / "w"
    shutil.copytree(template, work)
    monkeypatch.chdir(work)
    assert main([*SOLVE, "--json", "out.json", "--out", "o"]) == 0
    assert json.loads(Path("out.json").read_text())["params"]["p"] == 0.7
    assert main(["sweep", "report", "store.sqlite", "--out", "m.png", "--limit", "0"]) == 0
    assert main(["sweep", "good.toml", "--db", "store.sqlite", "--serial", "--chunk", "2"]) == 0
