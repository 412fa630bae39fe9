"""Chat backends: :class:`OpenAIChat` (any OpenAI-compatible endpoint) and :class:`FakeChat`.

This is the only module that imports ``openai``. The client is made once, with explicit
``max_retries`` and ``timeout``; transport failures (429 with retry-after, 5xx, timeouts,
dropped connections) are retried by the SDK's own exponential backoff, never by a loop here.
Structure is asked for with a JSON-schema ``response_format``; a server that refuses it
(HTTP 400) is asked again in JSON mode, then with the schema in the prompt only.

The API key is read from the environment variable named by ``api_key_env`` and is never
stored, logged or put in an error message.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlparse

from steerherd.errors import ParameterError
from steerherd.llm.types import ChatReply, ChatRequest, LLMError

#: Ways of asking for structure, most to least specific; "auto" starts at the first.
STRUCTURED_MODES = ("json_schema", "json_object", "prompt")
_LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
#: Placeholder sent to servers that need no key (vLLM, Ollama, llama.cpp on loopback).
NO_KEY = "no-key-needed"


def _is_loopback(base_url: str) -> bool:
    return (urlparse(base_url).hostname or "") in _LOOPBACK


class OpenAIChat:
    """A chat client for any OpenAI-compatible endpoint.

    Args:
        base_url: e.g. ``https://api.openai.com/v1`` or ``http://127.0.0.1:8000/v1``.
        model: model name sent with each request.
        api_key_env: environment variable holding the key; may be unset for loopback servers.
        timeout: seconds per attempt.
        max_retries: the SDK's retries (with backoff, honouring retry-after).
        structured: ``"auto"`` (json_schema, falling back on HTTP 400) or one fixed mode.
        endpoint: stable identity of the server used in cache keys (default: ``base_url``).
        http_client: an ``httpx2.Client`` (tests pass one with a mock transport).

    Raises:
        ParameterError: the key's variable is unset for a non-loopback endpoint, or a bad mode.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key_env: str = "OPENAI_API_KEY",
        timeout: float = 60.0,
        max_retries: int = 4,
        structured: str = "auto",
        endpoint: str | None = None,
        http_client: Any = None,
    ) -> None:
        import openai

        if structured not in ("auto", *STRUCTURED_MODES):
            raise ParameterError(
                f"structured must be one of {['auto', *STRUCTURED_MODES]}, got {structured!r}")
        key = os.environ.get(api_key_env)
        if not key:
            if not _is_loopback(base_url):
                raise ParameterError(
                    f"environment variable {api_key_env} is not set (needed for {base_url})")
            key = NO_KEY
        self._secret = key
        self.model = model
        self.base_url = base_url
        self.endpoint = endpoint or base_url.rstrip("/")
        self._mode = STRUCTURED_MODES[0] if structured == "auto" else structured
        self._auto = structured == "auto"
        self._lock = threading.Lock()
        self._openai = openai
        self._client = openai.OpenAI(
            base_url=base_url, api_key=key, timeout=timeout, max_retries=max_retries,
            http_client=http_client,
        )

    @property
    def structured_mode(self) -> str:
        """The way structure is currently asked for."""
        return self._mode

    def complete(self, request: ChatRequest) -> ChatReply:
        """Send one request (the SDK retries transport errors); see the class docstring."""
        while True:
            mode = self._mode
            try:
                return self._send(request, mode)
            except self._openai.BadRequestError as exc:
                if not (self._auto and mode != STRUCTURED_MODES[-1] and _about_format(exc)):
                    raise LLMError(self._redact(f"{self.endpoint}: HTTP 400: {exc}")) from None
                with self._lock:  # downgrade once for every later call too
                    if self._mode == mode:
                        self._mode = STRUCTURED_MODES[STRUCTURED_MODES.index(mode) + 1]
            except self._openai.APIStatusError as exc:
                raise LLMError(self._redact(
                    f"{self.endpoint}: HTTP {exc.status_code} after retries: {exc}")) from None
            except self._openai.APIError as exc:  # connection errors and timeouts
                raise LLMError(self._redact(
                    f"{self.endpoint}: {type(exc).__name__} after retries: {exc}")) from None
            except ValueError as exc:  # the SDK raises JSONDecodeError on an unreadable body
                raise LLMError(self._redact(
                    f"{self.endpoint}: unreadable response body: {exc}")) from None

    def _send(self, request: ChatRequest, mode: str) -> ChatReply:
        messages = [dict(m) for m in request.messages]
        kwargs: dict[str, Any] = {}
        if mode == "json_schema":
            kwargs["response_format"] = {"type": "json_schema", "json_schema": {
                "name": request.schema_name, "schema": request.schema}}
        else:
            messages = _schema_in_prompt(messages, request.schema)
            if mode == "json_object":
                kwargs["response_format"] = {"type": "json_object"}
        start = time.perf_counter()
        resp = self._client.chat.completions.create(
            model=self.model, messages=messages, temperature=request.temperature,  # type: ignore[arg-type]
            seed=request.seed, max_tokens=request.max_tokens, **kwargs,
        )
        latency = time.perf_counter() - start
        if not resp.choices:
            raise LLMError(f"{self.endpoint}: the reply has no choices")
        choice = resp.choices[0]
        usage = resp.usage
        return ChatReply(
            text=choice.message.content or "",
            prompt_tokens=None if usage is None else usage.prompt_tokens,
            completion_tokens=None if usage is None else usage.completion_tokens,
            latency_s=latency, model=resp.model or self.model, structured=mode,
            finish_reason=choice.finish_reason,
        )

    def _redact(self, text: str) -> str:
        return text.replace(self._secret, "***") if self._secret != NO_KEY else text

    def __repr__(self) -> str:
        return f"OpenAIChat(endpoint={self.endpoint!r}, model={self.model!r})"


def _about_format(exc: Exception) -> bool:
    text = str(exc).lower()
    return any(w in text for w in ("response_format", "json_schema", "json schema", "json_object"))


def _schema_in_prompt(messages: list[dict[str, str]],
                      schema: dict[str, Any]) -> list[dict[str, str]]:
    note = ("Answer with one JSON object and nothing else. It must follow this JSON schema:\n"
            + json.dumps(schema))
    if messages and messages[0]["role"] == "system":
        return [{"role": "system", "content": messages[0]["content"] + "\n\n" + note},
                *messages[1:]]
    return [{"role": "system", "content": note}, *messages]


Reply = str | Callable[[ChatRequest], str]


class FakeChat:
    """A scripted client for tests (the inspect_ai mockllm pattern).

    Args:
        scripted_replies: answers in order; each is a string or a function of the request.
        responder: used once the script is spent (a function of the request), else LLMError.
        model: reported model name.

    Attributes:
        requests: every request received, in order.
    """

    def __init__(
        self,
        scripted_replies: Iterable[Reply] = (),
        responder: Callable[[ChatRequest], str] | None = None,
        model: str = "fake",
    ) -> None:
        self._script = list(scripted_replies)
        self._responder = responder
        self.model = model
        self.endpoint = "fake"
        self.requests: list[ChatRequest] = []
        self._lock = threading.Lock()

    def complete(self, request: ChatRequest) -> ChatReply:
        """Return the next scripted reply."""
        with self._lock:
            self.requests.append(request)
            if self._script:
                reply = self._script.pop(0)
            elif self._responder is not None:
                reply = self._responder
            else:
                raise LLMError(f"FakeChat: script spent after {len(self.requests) - 1} replies")
        text = reply(request) if callable(reply) else reply
        prompt_tokens = sum(len(m["content"]) // 4 for m in request.messages)
        return ChatReply(text=text, prompt_tokens=prompt_tokens, completion_tokens=len(text) // 4,
                         latency_s=0.0, model=self.model)
