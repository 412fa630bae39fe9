"""Sweep stores under stress: kill -9 of a process pool, two writers, foreign files."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from proc_helpers import ROOT, kill_pool_sweep

from steerherd.cli import main
from steerherd.sweep import expand, load_config
from steerherd.sweep.store import ResultStore

SMALL = Path(__file__).parent / "data" / "sweep_small.toml"
#: 48 instances of ~0.1-0.3 s: long enough to be killed mid-sweep.
MEDIUM = ('method = "vi"\n[axes]\nplanner = ["altruistic", "biased"]\n'
          "p = [0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9]\nk = [0.2, 0.5, 1.0]\n"
          "delta = [0.9]\nbeliefs = [301]\nprecisions = [61]\n")

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_kill_9_of_a_pool_sweep_leaves_no_orphans(tmp_path: Path) -> None:
    cfg = tmp_path / "medium.toml"
    cfg.write_text(MEDIUM)
    db = tmp_path / "r.sqlite"
    for trial in range(4):
        rows, alive = kill_pool_sweep(cfg, db, workers=2, after_rows=trial + 1)
        assert rows >= trial + 1
        assert alive == [], f"kill {trial + 1}: orphans {alive} survived their parent"
    with ResultStore(db, create=False, readonly=True) as store:  # what was stored is intact
        stored = store.rows()
    assert len(stored) == len({r["key"] for r in stored}) < 48


def _start_writer(cfg: Path, db: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    return subprocess.Popen([sys.executable, "-m", "steerherd", "sweep", str(cfg), "--db",
                             str(db), "--serial"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def _wait_rows(db: Path, n: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if db.exists():
            with ResultStore(db, create=False, readonly=True) as store:
                if store.count() >= n:
                    return
        time.sleep(0.05)
    raise AssertionError("the first writer stored nothing in 60 s")


def test_a_second_writer_is_refused_and_a_dead_writers_lock_is_recovered(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "medium.toml"
    cfg.write_text(MEDIUM)
    db = tmp_path / "r.sqlite"
    first = _start_writer(cfg, db)
    try:
        _wait_rows(db, 2, first)
        for extra in (["--serial"], ["--workers", "2"]):
            assert main(["sweep", str(cfg), "--db", str(db), *extra]) == 2
            err = capsys.readouterr().err
            assert "being written by another process" in err and err.count("\n") == 1
            assert f"pid {first.pid}" in err
        assert main(["sweep", "report", str(db), "--out", str(tmp_path / "m.png")]) == 0
    finally:
        os.kill(first.pid, signal.SIGKILL)  # the lock dies with it
        first.wait()
    with ResultStore(db, create=False, readonly=True) as store:
        before = {r["key"]: r for r in store.rows()}
    assert main(["sweep", str(cfg), "--db", str(db), "--serial"]) == 0
    err = capsys.readouterr().err
    assert f"{len(before)} already stored, {48 - len(before)} to solve" in err
    with ResultStore(db, create=False, readonly=True) as store:
        after = store.rows()
    assert len(after) == len({r["key"] for r in after}) == 48
    assert all(r == before[r["key"]] for r in after if r["key"] in before)


def _llm_run_store(path: Path) -> Path:
    from steerherd.llm.store import RunStore

    RunStore(path).close()
    return path


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda p: p.write_bytes(b""), "empty file"),
        (lambda p: p.write_text("not a database\n" * 20), "not an SQLite file"),
        (lambda p: _llm_run_store(p), "not a sweep results store"),
        (lambda p: sqlite3.connect(p).execute("CREATE TABLE t (a)").connection.commit(),
         "did not write"),
    ],
    ids=["empty", "text", "llm-run-store", "foreign-sqlite"],
)
@pytest.mark.parametrize("command", ["run", "report"])
def test_a_file_that_is_not_a_sweep_store_is_refused_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make, match: str, command: str  # type: ignore[no-untyped-def]
) -> None:
    db = tmp_path / "x.sqlite"
    make(db)
    digest = _digest(db)
    argv = (["sweep", str(SMALL), "--db", str(db), "--serial"] if command == "run"
            else ["sweep", "report", str(db)])
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert match in err and err.count("\n") == 1 and "Traceback" not in err
    assert _digest(db) == digest
    assert sorted(p.name for p in tmp_path.iterdir()) in (["x.sqlite"],
                                                          ["x.sqlite", "x.sqlite.lock"])


def test_a_damaged_store_is_refused_untouched(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "r.sqlite"
    assert main(["sweep", str(SMALL), "--db", str(db), "--serial"]) == 0
    capsys.readouterr()
    data = bytearray(db.read_bytes())
    assert len(data) > 3 * 4096
    data[2 * 4096:2 * 4096 + 64] = b"\xa5" * 64  # scribble over a b-tree page header
    db.write_bytes(bytes(data))
    digest = _digest(db)
    for argv in (["sweep", str(SMALL), "--db", str(db), "--serial"], ["sweep", "report", str(db)]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert "damaged SQLite file" in err and err.count("\n") == 1
        assert _digest(db) == digest


def test_report_reads_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "r.sqlite"
    assert main(["sweep", str(SMALL), "--db", str(db), "--serial"]) == 0
    digest = _digest(db)
    assert main(["sweep", "report", str(db), "--out", str(tmp_path / "m.png")]) == 0
    assert _digest(db) == digest
    os.chmod(db, 0o444)
    try:
        with ResultStore(db, create=False, readonly=True) as store, pytest.raises(
                sqlite3.OperationalError, match="readonly"):
            store.add([{"key": "x", "params": {}, "grid": {}, "summary": {}, "seconds": 0}], "t")
    finally:
        os.chmod(db, 0o644)


def test_a_store_from_before_the_marker_is_accepted_and_stamped(tmp_path: Path) -> None:
    from steerherd.sweep.store import SCHEMA

    db = tmp_path / "old.sqlite"
    with sqlite3.connect(db) as con:
        con.executescript(SCHEMA)
    assert main(["sweep", str(SMALL), "--db", str(db), "--serial"]) == 0
    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA application_id").fetchone()[0] == 0x53485357
        assert con.execute("SELECT COUNT(*) FROM instances").fetchone()[0] == len(
            expand(load_config(SMALL)))


def test_dask_local_starts_no_dashboard() -> None:
    """Dask always starts the scheduler's HTTP server; it must serve nothing, off :8787."""
    pytest.importorskip("dask.distributed")
    import urllib.error
    import urllib.request

    from steerherd.sweep import open_executor

    with open_executor(dask="local") as ex:
        client = ex._client  # type: ignore[attr-defined]
        port = client.scheduler_info()["services"].get("dashboard")
        assert port != 8787
        for route in ("/status", "/health", "/metrics", "/info/main/workers.html"):
            with pytest.raises(urllib.error.HTTPError) as err:
                urllib.request.urlopen(f"http://127.0.0.1:{port}{route}", timeout=5)
            assert err.value.code == 404, route
        assert ex.submit(sum, [1, 2]).result() == 3


def _start_pool_sweep(tmp_path: Path, new_session: bool = False
                      ) -> tuple[subprocess.Popen[bytes], Path, str]:
    """A 2-worker pool sweep of MEDIUM in a child process whose processes carry a fresh tag."""
    import uuid

    from proc_helpers import TAG

    cfg = tmp_path / "medium.toml"
    cfg.write_text(MEDIUM)
    db = tmp_path / "r.sqlite"
    tag = uuid.uuid4().hex
    env = {**os.environ, TAG: tag, "PYTHONPATH": os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.Popen([sys.executable, "-m", "steerherd", "sweep", str(cfg), "--db",
                             str(db), "--workers", "2"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=new_session)
    return proc, db, tag


def test_ctrl_c_of_a_pool_sweep_exits_130_in_one_line(tmp_path: Path) -> None:
    """SIGINT to the process group (a terminal's Ctrl-C): exit 130, one line, no orphans."""
    from proc_helpers import tagged_pids

    proc, db, tag = _start_pool_sweep(tmp_path, new_session=True)
    try:
        _wait_rows(db, 1, proc)
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
    lines = err.decode().splitlines()
    assert proc.returncode == 130, err
    assert lines[-1] == "error: interrupted" and "Traceback" not in err.decode()
    assert sum(line.startswith("error:") for line in lines) == 1
    deadline = time.monotonic() + 10
    while tagged_pids(tag) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert tagged_pids(tag) == []
    with ResultStore(db, create=False, readonly=True) as store:
        rows = store.rows()
    assert 1 <= len(rows) == len({r["key"] for r in rows}) < 48


def test_a_worker_killed_mid_sweep_is_a_failed_run_exit_1(tmp_path: Path) -> None:
    """kill -9 of one pool worker (as the OOM killer would): exit 1, one line, rows kept."""
    from proc_helpers import tagged_pids

    proc, db, tag = _start_pool_sweep(tmp_path)
    try:
        _wait_rows(db, 1, proc)
        workers = [pid for pid in tagged_pids(tag) if pid != proc.pid
                   and b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]
        assert workers
        os.kill(workers[0], signal.SIGKILL)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
    text = err.decode()
    assert proc.returncode == 1, text
    assert "Traceback" not in text
    errors = [line for line in text.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "a worker process died" in errors[0]
    deadline = time.monotonic() + 10
    while tagged_pids(tag) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert tagged_pids(tag) == []
