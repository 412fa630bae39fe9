"""Every theory/ script runs, prints its derivation and its assertions hold."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

THEORY = Path(__file__).resolve().parents[1] / "theory"
SCRIPTS = ("beliefs", "thm1_myopic_altruistic", "thm4_myopic_biased")


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"theory_{name}", THEORY / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", SCRIPTS)
def test_script_runs_and_prints(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert load(name).main([]) == 0
    out = capsys.readouterr().out
    assert "numerical check" in out


@pytest.mark.slow
@pytest.mark.parametrize("name", SCRIPTS[1:])
def test_script_on_a_finer_grid(name: str) -> None:
    assert load(name).main(["--quiet", "--beliefs", "801", "--precisions", "201"]) == 0


def test_every_script_is_listed_in_the_readme() -> None:
    readme = (THEORY / "README.md").read_text()
    for path in THEORY.glob("*.py"):
        assert path.name in readme, path.name


def test_thm4_linear_structure_is_one_of_two_shapes() -> None:
    """For linear costs the derivation says: lowering on (1-p, t3) iff obfuscation on all of
    (1/2, p]; both happen exactly when k < C(2p - 1)."""
    import numpy as np

    from steerherd import LinearCost, Params
    from steerherd.structure import myopic_biased_thresholds

    for p in np.linspace(0.55, 0.95, 9):
        for k in np.linspace(0.02, 2.0, 12):
            thr = myopic_biased_thresholds(Params(planner="biased", p=float(p), delta=0.0,
                                                  cost=LinearCost(float(k))))
            lowers = thr["t3"] > thr["t2"]
            obfuscates_all = thr["t5"] == 0.5
            assert lowers == (k < 2 * p - 1)
            assert obfuscates_all == (k <= 1 / (2 * p - 1))
            assert thr["t4"] == 0.5 and thr["t2"] == 1 - p
            if lowers:
                assert obfuscates_all
