"""Run identity, one writer per run directory, validation before anything is sent or written,
stores checked before use, exit codes (issues 12 and 13), through the CLI and a scripted
OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from steerherd.cli import main
from tests.llm_helpers import Scripted
from tests.llm_mock_server import MockState, mock_server

CONFIG = """
name = "integrity"
seed = 5
{extra_top}
[backend]
kind = "openai"
base_url = "{url}"
model = "{model}"
max_retries = 2
timeout_s = 5
{backend_extra}
[calls]
max_calls = 500
concurrency = 2
max_parse_retries = 1
[beliefs]
public_beliefs = [0.3, 0.8]
precisions = [0.7]
[policy]
public_beliefs = [0.2, 0.5]
planners = ["altruistic", "biased"]
[sequential]
runs = 2
agents = 3
settings = ["analytical", "llm", "hybrid"]
"""


def write(path: Path, url: str, model: str = "mock-model", extra_top: str = "",
          backend_extra: str = "", **sections: str) -> Path:
    text = CONFIG.format(url=url, model=model, extra_top=extra_top, backend_extra=backend_extra)
    for old, new in sections.items():
        text = text.replace(old, new)
    path.write_text(text)
    return path


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = [x for x in capsys.readouterr().err.strip().splitlines()
           if not x.startswith("ERROR:    ")]  # the scripted server's own log, not the CLI's
    assert len(err) == 1 and err[0].startswith("error: "), err
    return err[0]


def tree(root: Path) -> dict[str, str]:
    """Every file under ``root`` with the sha256 of its bytes."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


# --- 13.1 run identity ---------------------------------------------------------------------

def test_identity_recorded_and_another_model_refused(tmp_path, capsys):
    state = MockState(answer=Scripted())
    with mock_server(state) as (url, _):
        out = tmp_path / "run"
        assert main(["llm", "run", str(write(tmp_path / "a.toml", url)), "--out", str(out)]) == 0
        sent = len(state.received)
        capsys.readouterr()
        cfg_b = write(tmp_path / "b.toml", url, model="other-model")
        assert main(["llm", "run", str(cfg_b), "--out", str(out)]) == 2
        line = one_line_error(capsys)
        assert "roles.agent.model" in line and "other-model" in line and "mock-model" in line
        assert len(state.received) == sent  # refused before any call
    data = json.loads((out / "analysis.json").read_text())
    assert {"calls", "beliefs", "policy", "sequential", "run"} <= set(data)
    run = data["run"]
    assert len(run["config_sha256"]) == 64
    for role in ("planner", "oracle", "agent"):
        m = run["models"][role]
        assert m["model"] == "mock-model" and m["served"] == "mock-model"
        assert m["endpoint"] == url.rstrip("/")


def test_served_model_change_refused(tmp_path, capsys):
    out = tmp_path / "run"
    state = MockState(answer=Scripted())
    with mock_server(state) as (url, _):
        cfg = write(tmp_path / "a.toml", url, extra_top="", **{"runs = 2": "runs = 1"})
        assert main(["llm", "run", str(cfg), "--out", str(out), "--no-report"]) == 0
        state.served_model = "mock-model-v2"
        state.received.clear()
        capsys.readouterr()
        assert main(["llm", "run", str(cfg), "--out", str(out)]) == 2
        assert "served" in one_line_error(capsys) and not state.received


def test_backend_override_is_recorded_not_mislabelled(tmp_path, capsys):
    """`--backend local` over an openai config: the identity names the local model."""
    from steerherd.llm.config import load_config
    from steerherd.llm.identity import run_identity

    cfg = load_config(Path("sims/llm_paper.toml"), {"backend": {"kind": "local"}})
    models = run_identity(cfg)["roles"]
    assert all(m["kind"] == "local" and "gpt-4o-mini" not in m["model"] for m in models.values())


def test_overrides_shown_in_report_header(tmp_path):
    state = MockState(answer=Scripted())
    with mock_server(state) as (url, _):
        cfg = write(tmp_path / "a.toml", url, **{"runs = 2": "runs = 1"})
        out = tmp_path / "run"
        assert main(["llm", "run", str(cfg), "--out", str(out), "--backend", "openai",
                     "--max-requests", "1000"]) == 0
    text = (out / "report.md").read_text()
    assert "command-line overrides" in text and '"max_requests": 1000' in text
    assert "config sha256" in text


# --- 12.1 one writer per run directory -----------------------------------------------------

def test_second_writer_refused_before_any_call(tmp_path, capsys):
    from steerherd.llm.config import load_config
    from steerherd.llm.runner import open_store

    state = MockState(answer=Scripted())
    with mock_server(state) as (url, _):
        cfg_path = write(tmp_path / "a.toml", url)
        out = tmp_path / "run"
        holder = open_store(load_config(cfg_path), out)  # a writer holding the directory
        capsys.readouterr()
        assert main(["llm", "run", str(cfg_path), "--out", str(out)]) == 2
        assert "in use by another llm run" in one_line_error(capsys)
        assert not state.received
        holder.close()
        assert main(["llm", "run", str(cfg_path), "--out", str(out), "--no-report"]) == 0


def test_stale_lock_of_a_killed_writer_is_recovered(tmp_path):
    out = tmp_path / "run"
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; "
         "from steerherd.llm.lock import DirLock; l = DirLock(Path(sys.argv[1])); "
         "print('locked', flush=True); time.sleep(60)", str(out)],
        stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert child.stdout is not None and child.stdout.readline().strip() == b"locked"
    from steerherd.errors import ParameterError
    from steerherd.llm.lock import DirLock

    with pytest.raises(ParameterError, match=f"pid {child.pid}"):
        DirLock(out)
    child.kill()
    child.wait()
    DirLock(out).release()  # the kernel dropped the dead holder's lock


# --- 12.2 / 12.7 validation before anything is sent or written ------------------------------

BAD = [
    ("policy belief 1.5", {"public_beliefs = [0.2, 0.5]": "public_beliefs = [1.5, 0.5]"},
     [], "public belief 1.5"),
    ("policy belief -0.2", {"public_beliefs = [0.2, 0.5]": "public_beliefs = [-0.2]"}, [],
     "public belief -0.2"),
    ("policy belief nan", {"public_beliefs = [0.2, 0.5]": "public_beliefs = [nan]"}, [],
     "public_beliefs"),
    ("beliefs 1.0", {"public_beliefs = [0.3, 0.8]": "public_beliefs = [0.2, 1.0, 0.8]"}, [],
     "public belief 1.0"),
    ("precision 0.3", {"precisions = [0.7]": "precisions = [0.3]"}, [], "precision 0.3"),
    ("backend foo", {}, ["--backend", "foo"], "backend.kind"),
    ("name with ..", {'name = "integrity"': 'name = "../../escaped_run"'}, [], "not a name"),
    ("absolute name", {'name = "integrity"': 'name = "/tmp/abs"'}, [], "not a name"),
    ("key variable", {'model = "mock-model"': 'model = "m"\napi_key_env = "HOME"'}, [],
     "does not end in _API_KEY"),
    ("runs 1e8", {"runs = 2": "runs = 100000000"}, [], "--max-requests"),
    ("steps", {'settings = ["analytical", "llm", "hybrid"]': 'settings = ["analytical"]',
               "runs = 2": "runs = 3000000"}, [], "--max-steps"),
    ("prompt version path", {"seed = 5": 'seed = 5\nprompt_version = "../../etc"'}, [],
     "not a name"),
    ("prompt dir in file", {"seed = 5": 'seed = 5\nprompt_dir = "/etc"'}, [], "--prompts"),
    ("negative seed", {"seed = 5": "seed = -1"}, [], "seed"),
    ("temperature 3", {"max_calls = 500": "max_calls = 500\ntemperature = 3"}, [],
     "temperature"),
    ("concurrency 0", {"concurrency = 2": "concurrency = 0"}, [], "concurrency"),
    ("max_calls 0", {"max_calls = 500": "max_calls = 0"}, [], "max_calls"),
    ("typo", {"max_calls = 500": "max_cals = 500"}, [], "max_cals"),
    ("role kind", {}, [], None),
    ("planner role kind foo", {"[calls]": '[backend.planner]\nkind = "foo"\n[calls]'}, [],
     "backend.planner.kind"),
    ("base_url not http", {'base_url = "': 'base_url = "ftp://x/'}, [], "base_url"),
    ("model and models", {'model = "mock-model"': 'model = "a"\nmodels = ["b"]'}, [],
     "not both"),
    ("p = 1.5", {"[beliefs]": "[model]\np = 1.5\n[beliefs]"}, [], "p must be in"),
    ("power without alpha", {"[beliefs]": '[model]\ncost = "power"\n[beliefs]'}, [], "alpha"),
    ("resolved without beliefs", {
        "[beliefs]\npublic_beliefs = [0.3, 0.8]\nprecisions = [0.7]\n": "",
        '"hybrid"]': '"resolved"]'}, [], "add a [beliefs] section"),
    ("max-requests 0", {}, ["--max-requests", "0"], "max-requests"),
    ("missing key variable", {'model = "mock-model"':
                              'model = "m"\nbase_url = "https://api.example.com/v1"\n'
                              'api_key_env = "NO_SUCH_VAR_API_KEY"'}, [], None),
    ("gguf not a GGUF", {}, ["--backend", "local", "--gguf", "bad.toml"], "not a GGUF"),
    ("gguf missing", {}, ["--backend", "local", "--gguf", "nowhere.gguf"], "not found"),
    ("out is a file", {}, ["--out", "bad.toml"], "is a file, not a run directory"),
    ("prompts not a dir", {}, ["--prompts", "bad.toml"], "prompt directory has no"),
]


@pytest.mark.parametrize(("label", "edits", "flags", "needle"),
                         [b for b in BAD if b[3] is not None], ids=[b[0] for b in BAD
                                                                     if b[3] is not None])
@pytest.mark.parametrize("command", ["estimate", "run"])
def test_bad_input_refused_by_estimate_and_run_alike(tmp_path, capsys, label, edits, flags,
                                                     needle, command, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a default results/llm/NAME would land here
    state = MockState()
    with mock_server(state) as (url, _):
        cfg = write(tmp_path / "bad.toml", url, **edits)
        before = tree(tmp_path)
        assert main(["llm", command, str(cfg), "--out", str(tmp_path / "run"), *flags]) == 2
        line = one_line_error(capsys)
    assert needle in line, line
    assert not state.received  # no call
    assert tree(tmp_path) == before  # nothing written


def test_cache_dir_that_is_a_file_is_refused_first(tmp_path, capsys):
    state = MockState()
    with mock_server(state) as (url, _):
        cfg = write(tmp_path / "a.toml", url)
        before = tree(tmp_path)
        assert main(["llm", "run", str(cfg), "--out", str(tmp_path / "r"), "--cache-dir",
                     str(cfg)]) == 2
        assert "is a file" in one_line_error(capsys)
    assert tree(tmp_path) == before and not state.received


def test_prompt_dir_from_the_command_line(tmp_path, capsys):
    from steerherd.llm.roles import template_text

    prompts = tmp_path / "prompts"
    prompts.mkdir()
    for role in ("agent", "oracle", "planner"):
        (prompts / f"{role}.txt").write_text(template_text("v2", role))
    state = MockState(answer=Scripted())
    with mock_server(state) as (url, _):
        cfg = write(tmp_path / "a.toml", url, **{"runs = 2": "runs = 1"})
        assert main(["llm", "estimate", str(cfg), "--prompts", str(prompts)]) == 0
        (prompts / "oracle.txt").write_text("no separator here")
        capsys.readouterr()
        assert main(["llm", "run", str(cfg), "--out", str(tmp_path / "r"), "--prompts",
                     str(prompts)]) == 2
        assert "=== user ===" in one_line_error(capsys) and not state.received


# --- 12.4 / 12.6 stores checked before use ------------------------------------------------

def _sweep_like(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE instances (id INTEGER PRIMARY KEY, data TEXT)")


@pytest.mark.parametrize("kind", ["empty", "text", "sweep", "corrupt"])
def test_foreign_or_broken_store_refused_and_unchanged(tmp_path, capsys, kind):
    out = tmp_path / "run"
    out.mkdir()
    store = out / "run.sqlite"
    if kind == "empty":
        store.write_bytes(b"")
    elif kind == "text":
        store.write_text("hello, not a database\n")
    elif kind == "sweep":
        _sweep_like(store)
    else:
        _sweep_like(store)
        raw = bytearray(store.read_bytes())
        raw[100:400] = b"\xff" * 300  # the schema page
        store.write_bytes(bytes(raw))
    before = store.read_bytes()
    state = MockState()
    with mock_server(state) as (url, _):
        cfg = write(tmp_path / "a.toml", url)
        for argv in (["llm", "run", str(cfg), "--out", str(out)], ["llm", "report", str(out)],
                     ["llm", "estimate", str(cfg), "--out", str(out)]):
            assert main(argv) == 2, argv
            one_line_error(capsys)
    assert store.read_bytes() == before and not state.received


def test_report_reads_only(tmp_path):
    state = MockState(answer=Scripted())
    out = tmp_path / "run"
    with mock_server(state) as (url, _):
        cfg = write(tmp_path / "a.toml", url, **{"runs = 2": "runs = 1"})
        assert main(["llm", "run", str(cfg), "--out", str(out), "--no-report"]) == 0
    store = out / "run.sqlite"
    before = store.read_bytes()
    os.chmod(store, 0o444)
    try:
        assert main(["llm", "report", str(out)]) == 0
    finally:
        os.chmod(store, 0o644)
    assert store.read_bytes() == before


# --- 12.9 exit codes -----------------------------------------------------------------------

def _planner_never_parses(req):  # type: ignore[no-untyped-def]
    return "I think 80 percent" if req.schema_name == "planner_answer" else Scripted()(req)


def test_failed_units_exit_1_unless_allowed(tmp_path, capsys):
    state = MockState(answer=_planner_never_parses)
    with mock_server(state) as (url, _):
        cfg = write(tmp_path / "a.toml", url)
        out = tmp_path / "run"
        assert main(["llm", "run", str(cfg), "--out", str(out)]) == 1
        err = [x for x in capsys.readouterr().err.strip().splitlines()
               if not x.startswith("ERROR:    ")]
        assert len(err) == 1 and "units failed" in err[0] and "--allow-failures" in err[0]
        rows = json.loads((out / "analysis.json").read_text())["sequential"]["rows"]
        llm = [r for r in rows if r["setting"] == "llm"]
        assert llm and all(r["dropped"] == 2 and r["runs"] == 0 for r in llm)  # per cell
        hybrid = [r for r in rows if r["setting"] == "hybrid"]
        assert all(r["dropped"] == 0 and r["runs"] == 2 for r in hybrid)
        assert all(r["welfare_pct_if_dropped"][0] <= r["welfare_pct_if_dropped"][1]
                   for r in llm)
        assert "run(s) dropped" in (out / "report.md").read_text()
        assert main(["llm", "run", str(cfg), "--out", str(out), "--allow-failures"]) == 0
        assert capsys.readouterr().out.strip().splitlines()[-1].endswith(
            "(accepted: --allow-failures)")


def test_budget_and_dead_endpoint_exit_1(tmp_path, capsys):
    state = MockState(answer=Scripted())
    with mock_server(state) as (url, _):
        cfg = write(tmp_path / "a.toml", url, **{"max_calls = 500": "max_calls = 10"})
        assert main(["llm", "run", str(cfg), "--out", str(tmp_path / "r1")]) == 1
        assert "budget" in one_line_error(capsys) and len(state.received) == 10
    cfg = write(tmp_path / "b.toml", "http://127.0.0.1:9/v1")  # nothing listens there
    assert main(["llm", "run", str(cfg), "--out", str(tmp_path / "r2")]) == 1
    assert "Connection" in one_line_error(capsys)
    with sqlite3.connect(tmp_path / "r2" / "run.sqlite") as db:  # every attempt recorded
        n, ok = db.execute("SELECT COUNT(*), SUM(ok) FROM attempts").fetchone()
    assert ok == 0 and 3 <= n <= 6  # 1 + max_retries for the failed unit; the other stops
