"""Shared test options: --runslow and --runapi (the inspect_ai pattern)."""

from __future__ import annotations

import os
from typing import Any

import pytest
from netguard import install as _guard_child_processes

# Loopback only in every process the tests start, as pytest-socket does in this one
# (issue 12, item 10): see tests/netguard/.
_guard_child_processes()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--runslow", action="store_true", default=False, help="run slow tests")
    parser.addoption("--runapi", action="store_true", default=False,
                     help="run tests that call a live API (needs OPENAI_API_KEY)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_slow = pytest.mark.skip(reason="slow: run with --runslow")
    skip_api = pytest.mark.skip(reason="live API: run with --runapi and OPENAI_API_KEY set")
    for item in items:
        if "slow" in item.keywords and not config.getoption("--runslow"):
            item.add_marker(skip_slow)
        if "api" in item.keywords and not (
            config.getoption("--runapi") and os.environ.get("OPENAI_API_KEY")
        ):
            item.add_marker(skip_api)


@pytest.fixture(autouse=True)
def _agg_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPLBACKEND", "Agg")


@pytest.fixture(scope="module")
def biased_sol() -> Any:
    """The biased problem of tests/sim_cases.py, solved on a small grid."""
    import steerherd as sh
    from tests.sim_cases import P

    return sh.solve(P, beliefs=401, precisions=81)


@pytest.fixture(autouse=True)
def _private_llm_cache(tmp_path_factory: pytest.TempPathFactory,
                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The LLM harness's shared response cache goes to a fresh directory, never the user's."""
    monkeypatch.setenv("STEERHERD_CACHE_DIR", str(tmp_path_factory.mktemp("llm-cache")))
