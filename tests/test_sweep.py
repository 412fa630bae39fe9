"""Sweeps: config errors, the resumable store (kill -9), executors giving identical rows."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from steerherd.cli import main
from steerherd.sweep import SerialExecutor, expand, load_config, open_executor, run_sweep
from steerherd.sweep.store import ResultStore

SMALL = Path(__file__).parent / "data" / "sweep_small.toml"
#: Values from two certified solves (each within epsilon/2 = 5e-11 of V*) differ by < 1e-10.
VALUE_TOL = 1e-10


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cfg.toml"
    path.write_text(text)
    return path


def _solve_all(executor, instances, backend="numpy"):  # type: ignore[no-untyped-def]
    rows: list[dict] = []
    run_sweep(instances, executor, rows.extend, method="vi", backend=backend)
    return {r["key"]: r for r in rows}


def _comparable(row: dict) -> dict:
    summ = {k: v for k, v in row["summary"].items() if k not in ("seconds",)}
    summ["certificate"] = {k: v for k, v in summ["certificate"].items() if k != "method"}
    return summ


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ('design = "grid"\nbogus = 1\n', "bogus: Extra inputs are not permitted"),
        ("[axes]\np = [0.6,\n", "not valid TOML"),
        ('[axes]\nplanner = ["selfish"]\n', "axes.planner.0"),
        ("[axes]\np = []\n", "axis 'p' is empty"),
        ("[axes]\np = {low = 0.6, high = 0.9}\n", "grid design needs lists"),
        ('design = "random"\n', "needs samples"),
        ("[axes]\ndelta = [1.0]\n", "delta must be in"),
        ("[axes]\nspeed = [1]\n", "axes.speed"),
    ],
)
def test_config_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str,
                              match: str) -> None:
    db = tmp_path / "r.sqlite"
    assert main(["sweep", str(_write(tmp_path, text)), "--db", str(db), "--serial"]) == 2
    err = capsys.readouterr().err
    assert match in err and err.count("\n") == 1 and "Traceback" not in err


def test_missing_config_and_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sweep", str(tmp_path / "none.toml")]) == 2
    assert main(["sweep", "report", str(tmp_path / "none.sqlite")]) == 2
    assert "no sweep config" in capsys.readouterr().err


def test_expand_removes_duplicates_and_random_is_seeded(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, "[axes]\nalpha = [0.3, 0.5]\nbeliefs = [51]\n"))
    assert len(expand(cfg)) == 1  # alpha is ignored by the linear cost: one instance
    text = 'design = "random"\nsamples = 5\nseed = 3\n[axes]\np = {low = 0.55, high = 0.9}\n'
    a, b = (expand(load_config(_write(tmp_path, text))) for _ in range(2))
    assert [i["key"] for i in a] == [i["key"] for i in b] and len(a) == 5


def test_process_pool_and_serial_rows_are_identical() -> None:
    instances = expand(load_config(SMALL))
    with open_executor(serial=True) as ex:
        serial = _solve_all(ex, instances)
    with open_executor(workers=2) as ex:
        pooled = _solve_all(ex, instances)
    assert serial.keys() == pooled.keys() == {i["key"] for i in instances}
    for key in serial:
        assert _comparable(serial[key]) == _comparable(pooled[key])


def test_jax_batch_rows_match_numpy() -> None:
    pytest.importorskip("jax")
    instances = expand(load_config(SMALL))
    numpy_rows = _solve_all(SerialExecutor(), instances)
    jax_rows = _solve_all(SerialExecutor(), instances, backend="jax")
    for key, row in numpy_rows.items():
        a, b = row["summary"], jax_rows[key]["summary"]
        assert [r["mode"] for r in a["regimes"]] == [r["mode"] for r in b["regimes"]]
        assert a["thresholds"] == b["thresholds"]
        assert abs(a["value_at_prior"] - b["value_at_prior"]) < VALUE_TOL


def test_resume_after_kill_9_solves_each_instance_once(tmp_path: Path) -> None:
    cfg = _write(tmp_path, 'method = "vi"\n[axes]\nplanner = ["altruistic", "biased"]\n'
                 "p = [0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9]\nk = [0.2, 0.5, 1.0]\n"
                 "delta = [0.9]\nbeliefs = [301]\nprecisions = [61]\n")
    db = tmp_path / "r.sqlite"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    proc = subprocess.Popen([sys.executable, "-m", "steerherd", "sweep", str(cfg), "--db", str(db),
                             "--serial"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    count = 0
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
        if db.exists():
            with ResultStore(db) as store:
                count = store.count()
            if count >= 3:
                break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert 3 <= count < 48, "the run must be killed mid-sweep"
    with ResultStore(db) as store:
        before = {r["key"]: r for r in store.rows()}
    instances = expand(load_config(cfg))
    todo = [i for i in instances if i["key"] not in before]
    assert 0 < len(todo) < len(instances)
    with ResultStore(db) as store:
        solved = run_sweep(todo, SerialExecutor(), lambda rows: store.add(rows, "serial"),
                           method="vi")
        after = store.rows()
    assert solved == len(instances) - len(before)
    assert len(after) == len({r["key"] for r in after}) == len(instances)
    for r in after:  # rows stored before the kill are untouched
        if r["key"] in before:
            assert r == before[r["key"]]


def test_cli_run_report_and_rerun(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "small.sqlite"
    assert main(["sweep", str(SMALL), "--db", str(db), "--workers", "2"]) == 0
    assert main(["sweep", str(SMALL), "--db", str(db), "--serial"]) == 0
    assert "8 already stored, 0 to solve" in capsys.readouterr().err
    png = tmp_path / "map.png"
    assert main(["sweep", "report", str(db), "--out", str(png), "--x", "p"]) == 0
    assert png.stat().st_size > 1000
    assert "8 instances" in capsys.readouterr().out
    assert main(["sweep", "report", str(db), "--x", "speed"]) == 2


def test_unreachable_dask_exits_2_and_keeps_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("dask.distributed")
    import steerherd.sweep.run as sweep

    monkeypatch.setattr(sweep, "DASK_CONNECT_TIMEOUT_S", 1)
    db = tmp_path / "small.sqlite"
    assert main(["sweep", str(SMALL), "--db", str(db), "--serial"]) == 0
    saved = db.with_name("copy.sqlite")
    with ResultStore(db) as store:
        n = store.count()
    shutil.copy(db, saved)
    code = main(["sweep", str(SMALL), "--db", str(db), "--dask", "tcp://127.0.0.1:9"])
    err = capsys.readouterr().err
    assert code == 2 and "cannot reach the Dask scheduler" in err
    with ResultStore(db) as store:
        assert store.count() == n
    assert main(["sweep", str(SMALL), "--dask", "udp://x"]) == 2


@pytest.mark.slow
def test_dask_local_cluster_rows_match_serial() -> None:
    pytest.importorskip("dask.distributed")
    instances = expand(load_config(SMALL))
    serial = _solve_all(SerialExecutor(), instances)
    with open_executor(dask="local") as ex:
        dasked = _solve_all(ex, instances)
    for key in serial:
        assert _comparable(serial[key]) == _comparable(dasked[key])
    assert np.isfinite([r["summary"]["value_at_prior"] for r in dasked.values()]).all()


def test_cli_joins_an_existing_dask_scheduler(tmp_path: Path) -> None:
    pytest.importorskip("dask.distributed")
    from dask.distributed import LocalCluster

    serial = _solve_all(SerialExecutor(), expand(load_config(SMALL)))
    db = tmp_path / "dask.sqlite"
    with LocalCluster(host="127.0.0.1", processes=True, n_workers=2, threads_per_worker=1,
                      dashboard_address=None) as cluster:
        assert main(["sweep", str(SMALL), "--db", str(db), "--dask",
                     cluster.scheduler_address]) == 0
    with ResultStore(db) as store:
        rows = store.rows()
    assert {r["executor"] for r in rows} == {"numpy-dask"}
    assert {r["key"] for r in rows} == set(serial)
    for r in rows:
        assert _comparable(r) == _comparable(serial[r["key"]])
