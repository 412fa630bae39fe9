"""A small OpenAI-compatible chat server (FastAPI under uvicorn on 127.0.0.1) with faults."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    Response,
    StreamingResponse,
)

from steerherd.llm.types import ChatRequest
from tests.llm_helpers import responder


@dataclass
class MockState:
    """Faults to inject, in order ("ok" when the list is empty), and what was received."""

    faults: list[str] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    delay_s: float = 0.0
    served_model: str = "mock-model"
    #: answers by request (default: a valid answer varying with the seed)
    answer: Any = None
    redirect_to: str = ""


def _completion(text: str, finish: str = "stop") -> dict[str, Any]:
    return {"id": "x", "object": "chat.completion", "created": 0, "model": "mock-model",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                         "finish_reason": finish}],
            "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}}


def make_app(state: MockState) -> FastAPI:
    """The mock app; each request takes the next fault from ``state.faults``."""
    app = FastAPI()

    @app.get("/v1/models")
    async def models() -> Response:
        return JSONResponse({"object": "list", "data": [
            {"id": state.served_model, "object": "model", "owned_by": "mock"}]})

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> Response:
        body = await request.json()
        state.received.append(body)
        state.headers.append(dict(request.headers))
        state.times.append(time.monotonic())
        fault = state.faults.pop(0) if state.faults else "ok"
        await asyncio.sleep(state.delay_s)
        if fault == "429":
            return JSONResponse({"error": {"message": "slow down"}}, 429,
                                headers={"retry-after": "0.2"})
        if fault in ("500", "503"):
            return JSONResponse({"error": {"message": "boom"}}, int(fault))
        if fault == "reset":  # the connection drops in the middle of the reply
            async def cut() -> Any:
                yield b'{"id": "x", "choices": ['
                raise ConnectionResetError("cut")
            return StreamingResponse(cut(), 200, media_type="application/json")
        if fault == "redirect":
            return Response(status_code=307, headers={"location": state.redirect_to})
        if fault == "html":
            return HTMLResponse("<html><body><h1>502 Bad Gateway</h1></body></html>", 200)
        if fault == "wrong_schema":
            return JSONResponse({"result": "ok", "output": [1, 2, 3]})
        if fault == "timeout":
            await asyncio.sleep(2.0)
        if fault == "401":
            key = request.headers.get("authorization", "")
            return JSONResponse({"error": {"message": f"Incorrect API key provided: {key}"}}, 401)
        if fault == "no_json_schema":
            if body.get("response_format", {}).get("type") == "json_schema":
                state.faults.insert(0, "no_json_schema")
                msg = "response_format json_schema is not supported"
                return JSONResponse({"error": {"message": msg}}, 400)
        if fault == "bad_body":
            return PlainTextResponse("{not an http json body", 200,
                                     headers={"content-type": "application/json"})
        schema = body.get("response_format", {}).get("json_schema", {}).get("name", "")
        messages = tuple(body["messages"])
        name = schema or _name_from_prompt(messages)
        text = (state.answer or responder)(ChatRequest(messages=messages, schema_name=name,
                                                       schema={}, seed=body.get("seed", 0)))
        if fault == "malformed":
            text = "Sure! The answer is buy."
        if fault == "truncated":
            return JSONResponse(_completion(text[: len(text) // 2], "length"))
        return JSONResponse(_completion(text))

    return app


def _name_from_prompt(messages: tuple[dict[str, str], ...]) -> str:
    text = json.dumps(messages)
    for role in ("belief_percent", "precision_percent", "message"):
        if role in text:
            return {"belief_percent": "agent_answer", "precision_percent": "planner_answer",
                    "message": "oracle_answer"}[role]
    return "agent_answer"


@contextmanager
def mock_server(state: MockState, port: int = 0) -> Iterator[tuple[str, uvicorn.Server]]:
    """Serve the mock app on 127.0.0.1 (a free port, or ``port``) in a thread; yield
    (base_url, server)."""
    config = uvicorn.Config(make_app(state), host="127.0.0.1", port=port, log_level="error",
                            lifespan="off", timeout_graceful_shutdown=0)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("mock server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/v1", server
    finally:
        server.should_exit = True
        thread.join(timeout=5)
