"""The ``steerherd`` CLI: solve outputs and one-line errors with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from steerherd.cli import main
from steerherd.solution import SOLUTION_KEYS


def test_solve_writes_json_and_png(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    code = main(["solve", "--planner", "biased", "--beliefs", "201", "--out", str(tmp_path)])
    assert code == 0
    data = json.loads((tmp_path / "solution.json").read_text())
    assert set(SOLUTION_KEYS) <= set(data)
    assert (tmp_path / "solution.png").stat().st_size > 10_000
    out = capsys.readouterr().out
    assert "regimes" in out and "obfuscate" in out and "certificate" in out


def test_json_to_stdout_is_only_json(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["solve", "--beliefs", "101", "--json", "-"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(SOLUTION_KEYS) <= set(data)


@pytest.mark.parametrize(
    "args,needle",
    [
        (["--p", "1.2"], "p must be in [0.5, 1), got 1.2"),
        (["--delta", "1"], "needs a finite horizon"),
        (["--k", "-1"], "k must be >= 0, got -1.0"),
        (["--cost", "power", "--alpha", "2"], "alpha must be in (0, 1]"),
        (["--planner", "selfish"], "'selfish' is not one of 'altruistic', 'biased'"),
        (["--p", "abc"], "'--p'"),
        (["--beliefs", "3"], "number of beliefs must be a whole number >= 11"),
        (["--method", "newton"], "'newton' is not one of"),
    ],
)
def test_bad_input_one_line_exit_2(args, needle, capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert main(["solve", *args, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert needle in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "solution.json").exists()


def test_console_script_exit_code() -> None:
    proc = subprocess.run([sys.executable, "-m", "steerherd", "solve", "--p", "1.2"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2 and proc.stderr.startswith("error: p must be in")
    assert "Traceback" not in proc.stderr


def test_help_does_not_import_heavy_libraries() -> None:
    code = ("import sys; from steerherd.cli import main; main(['--help']); "
            "heavy = [m for m in ('numpy', 'scipy', 'matplotlib', 'jax', 'cvxpy', 'openai') "
            "if m in sys.modules]; print('HEAVY', heavy)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert "HEAVY []" in proc.stdout


def test_missing_extra_is_one_line_exit_2(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    import steerherd.dp.lp as lp

    def no_cvxpy(*_: object, **__: object) -> None:
        raise ImportError("install steerherd[lp] (cvxpy and highspy) to use method 'lp'")

    monkeypatch.setattr(lp, "solve_lp_values", no_cvxpy)
    assert main(["solve", "--method", "lp", "--beliefs", "51", "--json", "-"]) == 2
    err = capsys.readouterr().err
    assert err == "error: install steerherd[lp] (cvxpy and highspy) to use method 'lp'\n"


def test_other_import_errors_are_not_hidden(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import steerherd.dp.lp as lp

    def broken(*_: object, **__: object) -> None:
        raise ImportError("cannot import name 'x' from 'y'")

    monkeypatch.setattr(lp, "solve_lp_values", broken)
    with pytest.raises(ImportError, match="cannot import name"):
        main(["solve", "--method", "lp", "--beliefs", "51", "--json", "-"])
