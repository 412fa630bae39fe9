"""The HTTP path: OpenAIChat against a FastAPI mock on 127.0.0.1 with injected faults."""

from __future__ import annotations

import json
import logging
import tempfile
import threading
import time
from pathlib import Path

import pytest

from steerherd.errors import ParameterError
from steerherd.llm.caller import Caller
from steerherd.llm.client import OpenAIChat
from steerherd.llm.runner import execute, open_store
from steerherd.llm.store import RunStore
from steerherd.llm.types import ChatRequest, LLMError
from tests.llm_helpers import small_config
from tests.llm_mock_server import MockState, mock_server

REQ = ChatRequest(messages=({"role": "user", "content": "belief_percent please"},),
                  schema_name="agent_answer", schema={"type": "object"})
SECRET = "sk-test-0123456789abcdefSECRET"
KEY_VAR = "STEERHERD_TEST_API_KEY"


def _client(url: str, **kw) -> OpenAIChat:
    kw.setdefault("max_retries", 3)
    kw.setdefault("timeout", 1.0)
    return OpenAIChat(url, "mock-model", endpoint="mock", **kw)


def _ask(client: OpenAIChat, store: RunStore | None = None):
    """One request through the harness (which does the retrying and records each attempt)."""
    store = store or RunStore(Path(tempfile.mkdtemp()) / "r.sqlite")
    return Caller(store, client, "v1", max_parse_retries=0).ask("agent", REQ, 0, 1), store


def test_ok_reply_has_usage_and_latency():
    state = MockState()
    with mock_server(state) as (url, _):
        reply = _client(url).complete(REQ)
    assert json.loads(reply.text)["action"] in ("buy", "not_buy")
    assert (reply.prompt_tokens, reply.completion_tokens) == (11, 7) and reply.latency_s > 0
    assert state.received[0]["response_format"]["type"] == "json_schema"


def test_429_retry_after_is_honoured():
    state = MockState(faults=["429", "429"])
    with mock_server(state) as (url, _):
        _, store = _ask(_client(url))
    assert len(state.received) == 3
    assert [a["status"] for a in store.attempts()] == [429, 429, 200]  # every attempt recorded
    gaps = [b - a for a, b in zip(state.times, state.times[1:], strict=False)]
    assert min(gaps) >= 0.2 - 0.02  # the server asked for 0.2 s; timer slack 20 ms


def test_500_then_ok():
    state = MockState(faults=["500"])
    with mock_server(state) as (url, _):
        _ask(_client(url))
    assert len(state.received) == 2


def test_timeout_then_ok():
    state = MockState(faults=["timeout"])
    with mock_server(state) as (url, _):
        _ask(_client(url, timeout=0.3))
    assert len(state.received) == 2


def test_persistent_500_is_an_error_after_retries():
    state = MockState(faults=["500"] * 3)
    store = RunStore(Path(tempfile.mkdtemp()) / "r.sqlite")
    with mock_server(state) as (url, _), \
            pytest.raises(LLMError, match="HTTP 500.*after 3 attempts"):
        _ask(_client(url, max_retries=2), store)
    assert len(state.received) == 3 == store.count_attempts()  # the SDK retried nothing


def test_unreadable_body_is_a_failed_parse_and_retried(tmp_path):
    state = MockState(faults=["bad_body"])
    store = RunStore(tmp_path / "r.sqlite")
    with mock_server(state) as (url, _):
        ans = Caller(store, _client(url, max_retries=0), "v1").ask("agent", REQ, 0, 1)
    rows = store.calls()
    assert ans.value is not None and [r["parse_ok"] for r in rows] == [0, 1]
    assert rows[0]["response"] == "{not an http json body"
    assert rows[0]["parse_error"].startswith("reply body is not JSON")


def test_malformed_and_truncated_answers_are_stored_and_retried(tmp_path):
    state = MockState(faults=["malformed", "truncated"])
    store = RunStore(tmp_path / "r.sqlite")
    with mock_server(state) as (url, _):
        ans = Caller(store, _client(url), "v1", max_parse_retries=2).ask("agent", REQ, 0, 1)
    rows = store.calls()
    assert ans.value is not None and ans.attempts == 3
    assert [r["parse_ok"] for r in rows] == [0, 0, 1]
    assert rows[0]["response"] == "Sure! The answer is buy."
    assert rows[1]["finish_reason"] == "length" and rows[1]["parse_error"].startswith("not JSON")


def test_json_mode_fallback():
    state = MockState(faults=["no_json_schema"])
    with mock_server(state) as (url, _):
        client = _client(url)
        ans, store = _ask(client)
        client.complete(REQ)
    reply = store.calls()[0]
    assert ans.value is not None and [a["status"] for a in store.attempts()] == [400, 200]
    assert reply["structured"] == "json_object" and client.structured_mode == "json_object"
    assert [b.get("response_format", {}).get("type") for b in state.received] == \
        ["json_schema", "json_object", "json_object"]
    assert "JSON schema" in state.received[1]["messages"][0]["content"]


def test_server_dies_mid_run_then_resume(tmp_path):
    cfg = small_config(policy=None, sequential=None)
    store = open_store(cfg, tmp_path)
    state = MockState(delay_s=0.05)  # slow enough that the shutdown lands mid-run
    with mock_server(state) as (url, server):
        client = _client(url, max_retries=1, timeout=0.5)

        def killer() -> None:  # the server goes away after six requests
            while len(state.received) < 6:
                time.sleep(0.001)
            server.force_exit = server.should_exit = True
        threading.Thread(target=killer, daemon=True).start()
        with pytest.raises(LLMError):
            execute(cfg, store, client)
    stored = store.count_calls()
    assert 6 <= stored < 24  # answers received before the server went away, all kept
    state2 = MockState()
    with mock_server(state2) as (url2, _):
        s = execute(cfg, store, _client(url2))
    assert store.count_calls() == stored + s.sent == len({c["key"] for c in store.calls()})
    assert len(store.records("beliefs")) == 12


def test_api_key_never_leaks(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv(KEY_VAR, SECRET)
    caplog.set_level(logging.DEBUG)
    cfg = small_config(policy=None, sequential=None,
                       beliefs={"public_beliefs": [0.5], "precisions": [0.7]})
    store = open_store(cfg, tmp_path)
    state = MockState(faults=["401"])
    with mock_server(state) as (url, _):
        client = _client(url, api_key_env=KEY_VAR, max_retries=0)
        with pytest.raises(LLMError) as err:
            _ask(client, RunStore(tmp_path / "probe.sqlite"))
        execute(cfg, store, client)
    assert state.headers[0]["authorization"] == f"Bearer {SECRET}"  # it was sent...
    assert SECRET not in str(err.value) and "***" in str(err.value)  # ...but never shown
    store.close()
    for f in tmp_path.iterdir():
        assert SECRET.encode() not in f.read_bytes(), f
    assert SECRET not in caplog.text
    assert SECRET not in repr(client)


def test_missing_key_for_remote_endpoint(monkeypatch):
    monkeypatch.delenv("NO_SUCH_API_KEY", raising=False)
    with pytest.raises(ParameterError, match="NO_SUCH_API_KEY is not set"):
        OpenAIChat("https://api.example.com/v1", "m", api_key_env="NO_SUCH_API_KEY")


def test_key_variable_must_say_it_is_a_key(monkeypatch):
    monkeypatch.setenv("HOME_TOKEN", SECRET)
    with pytest.raises(ParameterError, match="does not end in _API_KEY.*--allow-key-env"):
        OpenAIChat("https://api.example.com/v1", "m", api_key_env="HOME_TOKEN")
    OpenAIChat("https://api.example.com/v1", "m", api_key_env="HOME_TOKEN", allow_key_env=True)


@pytest.mark.filterwarnings("ignore:A test tried to use socket")
def test_nothing_leaves_loopback(monkeypatch):
    """pytest-socket (--allow-hosts=127.0.0.1,::1,localhost) blocks any other address."""
    monkeypatch.setenv(KEY_VAR, SECRET)
    client = OpenAIChat("http://192.0.2.1/v1", "m", api_key_env=KEY_VAR,
                        max_retries=0, timeout=1.0)
    from pytest_socket import SocketConnectBlockedError

    with pytest.raises(SocketConnectBlockedError, match="192.0.2.1") as err:
        client.complete(REQ)
    assert SECRET not in str(err.value)


def test_redirect_is_not_followed_so_the_key_stays_home(monkeypatch):
    """A 307 to another host is an error; the other host sees no request and no key."""
    monkeypatch.setenv(KEY_VAR, SECRET)
    elsewhere = MockState()
    state = MockState(faults=["redirect"])
    with mock_server(elsewhere) as (other, _), mock_server(state) as (url, _):
        state.redirect_to = other + "/chat/completions"
        with pytest.raises(LLMError, match="HTTP 307"):
            _ask(_client(url, api_key_env=KEY_VAR))
    assert len(state.received) == 1 and not elsewhere.received
