"""The run store and Caller with FakeChat: commit-before-use, cache, budget, parse failures."""

from __future__ import annotations

import json

import pytest

from steerherd.llm.caller import Caller
from steerherd.llm.client import FakeChat
from steerherd.llm.runner import estimate, execute, open_store
from steerherd.llm.store import RunStore
from steerherd.llm.types import BudgetExceeded, ChatRequest, LLMError
from tests.llm_helpers import responder, small_config

REQ = ChatRequest(messages=({"role": "user", "content": "hi"},), schema_name="agent_answer",
                  schema={"type": "object"}, temperature=0.5)
GOOD = json.dumps({"belief_percent": 40, "action": "buy"})


def test_answer_committed_and_cached(tmp_path):
    store = RunStore(tmp_path / "r.sqlite")
    fake = FakeChat([GOOD])
    caller = Caller(store, fake, "v1")
    a = caller.ask("agent", REQ, replicate=0, base_seed=1)
    assert a.value == {"belief_percent": 40, "action": "buy"} and a.sent == 1
    row = store.calls()[0]
    assert row["parse_ok"] == 1 and row["response"] == GOOD and row["prompt_version"] == "v1"
    assert row["temperature"] == 0.5 and row["model"] == "fake"
    again = Caller(RunStore(tmp_path / "r.sqlite"), FakeChat([]), "v1")  # a fresh process
    b = again.ask("agent", REQ, replicate=0, base_seed=1)
    assert b.value == a.value and b.sent == 0 and again.cached == 1


def test_replicate_is_in_the_key(tmp_path):
    store = RunStore(tmp_path / "r.sqlite")
    fake = FakeChat([GOOD, GOOD])
    caller = Caller(store, fake, "v1")
    caller.ask("agent", REQ, 0, 1)
    caller.ask("agent", REQ, 1, 1)
    assert len(fake.requests) == 2 and fake.requests[0].seed != fake.requests[1].seed
    assert store.count_calls() == 2


def test_unparseable_is_stored_and_retried_never_defaulted(tmp_path):
    store = RunStore(tmp_path / "r.sqlite")
    caller = Caller(store, FakeChat(["not json", '{"belief_percent": 140, "action": "buy"}',
                                     '{"belief_percent": 5'], ), "v1", max_parse_retries=2)
    a = caller.ask("agent", REQ, 0, 1)
    assert a.value is None and a.attempts == 3
    rows = store.calls()
    assert [r["parse_ok"] for r in rows] == [0, 0, 0]
    assert rows[0]["response"] == "not json" and "not JSON" in rows[0]["parse_error"]
    assert "belief_percent" in rows[1]["parse_error"]
    assert all(r["parsed"] is None for r in rows)


def test_retry_after_failure_succeeds(tmp_path):
    store = RunStore(tmp_path / "r.sqlite")
    a = Caller(store, FakeChat(["```json\n" + GOOD[:-3], GOOD]), "v1").ask("agent", REQ, 0, 1)
    assert a.value is not None and a.attempts == 2 and store.count_calls() == 2


def test_budget(tmp_path):
    store = RunStore(tmp_path / "r.sqlite")
    caller = Caller(store, FakeChat(responder=lambda r: GOOD), "v1", max_calls=2)
    caller.ask("agent", REQ, 0, 1)
    caller.ask("agent", REQ, 1, 1)
    with pytest.raises(BudgetExceeded, match="max_calls = 2"):
        caller.ask("agent", REQ, 2, 1)
    assert store.count_calls() == 2


def test_planner_check_rejects_below_baseline(tmp_path):
    from steerherd.llm import roles
    from steerherd.llm.config import ModelConfig

    params = ModelConfig().params("altruistic", False)
    req = roles.planner_request(params, False, [], 0.5, 0.7, 50)
    caller = Caller(RunStore(tmp_path / "r.sqlite"),
                    FakeChat(['{"precision_percent": 60}', '{"precision_percent": 80}']), "v1")
    a = caller.ask("planner", req, 0, 1, roles.planner_check(params))
    assert a.value == {"precision_percent": 80, "reason": None} and a.attempts == 2


def test_full_run_then_resume_sends_nothing(tmp_path):
    cfg = small_config()
    est = estimate(cfg)
    store = open_store(cfg, tmp_path)
    fake = FakeChat(responder=responder)
    s1 = execute(cfg, store, fake)
    assert s1.units == est.units and s1.sent + s1.cached == est.requests
    assert s1.sent == store.count_calls() == len(fake.requests)
    s2 = execute(cfg, store, FakeChat())  # a client with no answers: nothing may be asked
    assert s2.sent == 0 and s2.units_done_before == s2.units
    recs = store.records("sequential")
    assert len({r["item"] for r in recs}) == len(recs)


def test_replay_without_client_needs_no_calls(tmp_path):
    cfg = small_config()
    store = open_store(cfg, tmp_path)
    execute(cfg, store, FakeChat(responder=responder))
    n = store.count_calls()
    with store._tx() as db:  # forget the records, keep the calls: a re-derivation from cache
        db.execute("DELETE FROM records")
    s = execute(cfg, store, None)
    assert s.sent == 0 and store.count_calls() == n


def test_endpoint_failure_keeps_what_was_stored(tmp_path):
    cfg = small_config(policy=None, sequential=None)
    store = open_store(cfg, tmp_path)
    fake = FakeChat([responder] * 5)  # then the "server" is gone
    with pytest.raises(LLMError):
        execute(cfg, store, fake)
    assert store.count_calls() == 5
    s = execute(cfg, store, FakeChat(responder=responder))
    assert store.count_calls() == 5 + s.sent


def test_other_config_in_same_dir_refused(tmp_path):
    from steerherd.errors import ParameterError

    open_store(small_config(), tmp_path).close()
    with pytest.raises(ParameterError, match="another configuration"):
        open_store(small_config(seed=4), tmp_path)


def test_identical_requests_in_flight_are_sent_once(tmp_path):
    import threading
    import time

    def slow(req):
        time.sleep(0.05)
        return GOOD

    store = RunStore(tmp_path / "r.sqlite")
    fake = FakeChat(responder=slow)
    caller = Caller(store, fake, "v1", concurrency=4)
    out = []
    threads = [threading.Thread(target=lambda: out.append(caller.ask("agent", REQ, 0, 1)))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(fake.requests) == 1 and store.count_calls() == 1
    assert sum(a.sent for a in out) == 1 and all(a.value == out[0].value for a in out)


def test_resume_may_change_backend_and_budget(tmp_path):
    """Transport settings may change between sessions; what changes an answer may not."""
    from steerherd.errors import ParameterError

    first = open_store(small_config(), tmp_path)
    sha = first.get_meta("config_sha256")
    first.close()
    cfg = small_config(calls={"max_calls": 9999, "concurrency": 3},
                       backend={"kind": "local", "threads": 1, "timeout_s": 7.0,
                                "max_retries": 1})
    again = open_store(cfg, tmp_path)
    assert again.get_meta("config_sha256") == sha  # the same experiment
    assert again.get_meta("config")["calls"]["max_calls"] == 9999
    again.close()
    for change in ({"calls": {"temperature": 0.2}}, {"backend": {"kind": "local",
                                                                   "gguf": "/m/other.gguf"}}):
        with pytest.raises(ParameterError, match="another configuration"):
            open_store(small_config(**change), tmp_path)


def test_estimate_counts_calls_exactly(tmp_path):
    cfg = small_config(sequential=None)
    est = estimate(cfg)
    assert est.calls_exact
    s = execute(cfg, open_store(cfg, tmp_path), FakeChat(responder=responder))
    assert s.sent == est.calls < est.requests == s.sent + s.cached  # oracle tips repeat


def test_token_range_holds_the_run(tmp_path):
    cfg = small_config()
    est = estimate(cfg)
    store = open_store(cfg, tmp_path)
    s = execute(cfg, store, FakeChat(responder=responder))  # 4 characters per token
    calls = store.calls()
    assert s.sent <= est.calls <= est.max_calls
    assert est.prompt_tokens[0] <= sum(c["prompt_tokens"] for c in calls) <= est.prompt_tokens[1]
    assert sum(c["completion_tokens"] for c in calls) <= est.completion_tokens[1]


def test_replay_of_a_missing_call_is_refused(tmp_path):
    caller = Caller(RunStore(tmp_path / "r.sqlite"), None, "v1")
    with pytest.raises(LLMError, match="replay sends no calls"):
        caller.ask("agent", REQ, 0, 1)
