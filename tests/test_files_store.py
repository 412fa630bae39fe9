"""steerherd.files: open_store (kind markers), exclusive_lock and output-path checks."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from steerherd.errors import ParameterError
from steerherd.files import (
    STORE_KINDS,
    check_output_dir,
    check_output_file,
    exclusive_lock,
    open_store,
    read_json,
)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_new_store_is_marked_and_each_kind_refuses_the_other(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "run.sqlite"
    db = open_store(path, "llm-run", create=True, readonly=False)
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    db.commit()
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()
    assert int.from_bytes(path.read_bytes()[68:72], "big") == STORE_KINDS["llm-run"].application_id
    digest = _digest(path)
    with pytest.raises(ParameterError, match="is an LLM run store, not a sweep results store"):
        open_store(path, "sweep", create=True, readonly=False)
    assert _digest(path) == digest
    ro = open_store(path, "llm-run", create=False, readonly=True)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        ro.execute("CREATE TABLE x (a)")
    ro.close()
    assert sorted(p.name for p in path.parent.iterdir()) == ["run.sqlite"]


def test_missing_store_is_not_created_unless_asked(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="no sweep results store"):
        open_store(tmp_path / "none.sqlite", "sweep", create=False, readonly=True)
    assert list(tmp_path.iterdir()) == []


def test_the_lock_refuses_a_second_holder_and_dies_with_its_process(tmp_path: Path) -> None:
    lock = tmp_path / "x.lock"
    with exclusive_lock(lock, "the store 'x'"):
        with pytest.raises(ParameterError, match=rf"another process \(pid {os.getpid()}\)"):
            with exclusive_lock(lock, "the store 'x'"):
                pass
    with exclusive_lock(lock, "the store 'x'"):  # released on exit: taken again
        pass
    code = ("import os, sys; from steerherd.files import exclusive_lock\n"
            "cm = exclusive_lock(sys.argv[1], 'x'); cm.__enter__(); os.kill(os.getpid(), 9)")
    proc = subprocess.run([sys.executable, "-c", code, str(lock)], capture_output=True,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(
                              filter(None, [str(Path(__file__).parents[1]),
                                            os.environ.get("PYTHONPATH")]))})
    assert proc.returncode == -9
    with exclusive_lock(lock, "the store 'x'"):  # a lock left by kill -9 is free
        assert lock.read_text().strip() == str(os.getpid())


def test_output_checks(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("x")
    assert check_output_file(tmp_path / "new.json", "--json") == tmp_path / "new.json"
    for bad, match in ((tmp_path, "is a directory"), (tmp_path / "f.txt" / "y.json", "is a file"),
                       (tmp_path / "no" / "y.json", "does not exist")):
        with pytest.raises(ParameterError, match=match):
            check_output_file(bad, "--json")
    assert check_output_dir(tmp_path / "a" / "b", "--out").is_dir()
    with pytest.raises(ParameterError, match="is a file"):
        check_output_dir(tmp_path / "f.txt", "--out")
    assert not (tmp_path / "no").exists()


def test_read_json_refuses_non_utf8_and_directories(tmp_path: Path) -> None:
    (tmp_path / "t.json").write_bytes(b'{"a": "\xff"}')
    with pytest.raises(ParameterError, match="not UTF-8"):
        read_json(tmp_path / "t.json", "policy table")
    with pytest.raises(ParameterError, match="is a directory"):
        read_json(tmp_path, "policy table")
