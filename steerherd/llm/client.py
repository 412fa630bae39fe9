"""Chat backends: :class:`OpenAIChat` (any OpenAI-compatible endpoint) and :class:`FakeChat`.

This is the only module that imports ``openai``. The SDK's own retries are off
(``max_retries=0``): :meth:`OpenAIChat.complete` makes exactly one HTTP attempt and the
harness (:class:`~steerherd.llm.caller.Caller`) retries, so every attempt is recorded and
counted against the run's budget. A failed attempt raises
:class:`~steerherd.llm.types.TransportError` saying whether it may be retried (429 with its
``retry-after``, 5xx, timeouts, dropped connections). A 200 reply whose body is not a chat
completion (an HTML page, malformed or truncated JSON, another schema) is returned as data:
its raw text with ``body_error`` set, which the caller stores as a failed parse.

Structure is asked for with a JSON-schema ``response_format``; a server that refuses it
(HTTP 400 about the format) is asked again in JSON mode, then with the schema in the prompt.

The API key is read from the environment variable named by ``api_key_env``, which must end in
``_API_KEY`` unless the user confirms another name (``allow_key_env``); it is sent only to
the configured host (redirects are not followed) and never stored, logged or shown.
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
from steerherd.llm.types import ChatReply, ChatRequest, TransportError

#: Ways of asking for structure, most to least specific; "auto" starts at the first.
STRUCTURED_MODES = ("json_schema", "json_object", "prompt")
_LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
#: Placeholder sent to servers that need no key (vLLM, Ollama, llama.cpp on loopback).
NO_KEY = "no-key-needed"
KEY_SUFFIX = "_API_KEY"
#: Longest raw body kept when a reply is not a chat completion (an HTML error page).
MAX_BODY = 4000
#: Longest wait honoured from a ``retry-after`` header, seconds.
MAX_RETRY_AFTER = 60.0


def _is_loopback(base_url: str) -> bool:
    return (urlparse(base_url).hostname or "") in _LOOPBACK


def check_key_env(name: str, allow_any: bool = False) -> None:
    """Refuse a key variable whose name does not say it holds an API key.

    Raises:
        ParameterError: ``name`` is not an environment variable name ending in ``_API_KEY``
            and ``allow_any`` (``--allow-key-env``) is not given.
    """
    if not name or not name.replace("_", "a").isalnum() or name[0].isdigit():
        raise ParameterError(f"backend.api_key_env = {name!r} is not an environment variable "
                             "name")
    if not allow_any and not name.endswith(KEY_SUFFIX):
        raise ParameterError(f"backend.api_key_env = {name!r} does not end in {KEY_SUFFIX}: its "
                             "value would be sent as a bearer token; rename the variable or "
                             "confirm with --allow-key-env")


class OpenAIChat:
    """A chat client for any OpenAI-compatible endpoint: one HTTP attempt per call.

    Args:
        base_url: e.g. ``https://api.openai.com/v1`` or ``http://127.0.0.1:8000/v1``.
        model: model name sent with each request.
        api_key_env: environment variable holding the key; may be unset for loopback servers.
        timeout: seconds per attempt.
        max_retries: attempts the harness may add after a retryable failure.
        structured: ``"auto"`` (json_schema, falling back on HTTP 400) or one fixed mode.
        endpoint: stable identity of the server used in cache keys (default: ``base_url``).
        http_client: an ``httpx2.Client`` (tests pass one with a mock transport).
        allow_key_env: accept an ``api_key_env`` that does not end in ``_API_KEY``.

    Raises:
        ParameterError: the key's variable is unset for a non-loopback endpoint, its name is
            refused, or a bad mode.
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
        allow_key_env: bool = False,
    ) -> None:
        import httpx2
        import openai

        if structured not in ("auto", *STRUCTURED_MODES):
            raise ParameterError(
                f"structured must be one of {['auto', *STRUCTURED_MODES]}, got {structured!r}")
        check_key_env(api_key_env, allow_key_env)
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
        self.max_retries = max_retries
        self.timeout = timeout
        self._mode = STRUCTURED_MODES[0] if structured == "auto" else structured
        self._auto = structured == "auto"
        self._lock = threading.Lock()
        self._openai = openai
        if http_client is None:  # never follow a redirect: the key goes to base_url only
            http_client = httpx2.Client(follow_redirects=False, timeout=timeout)
        self._client = openai.OpenAI(base_url=base_url, api_key=key, timeout=timeout,
                                     max_retries=0, http_client=http_client)

    @property
    def structured_mode(self) -> str:
        """The way structure is currently asked for."""
        return self._mode

    def served_models(self) -> list[str] | None:
        """The model ids the endpoint lists at ``/models``, or None if it lists none."""
        try:
            page = self._client.models.list()
            return sorted(str(m.id) for m in page.data)
        except (self._openai.APIError, ValueError, TypeError, AttributeError):
            return None

    def complete(self, request: ChatRequest) -> ChatReply:
        """Send one request once; see the class docstring.

        Raises:
            TransportError: the attempt failed; ``retryable`` says whether to try again.
        """
        mode = self._mode
        try:
            return self._send(request, mode)
        except self._openai.BadRequestError as exc:
            if self._auto and mode != STRUCTURED_MODES[-1] and _about_format(exc):
                with self._lock:  # downgrade once for every later call too
                    if self._mode == mode:
                        self._mode = STRUCTURED_MODES[STRUCTURED_MODES.index(mode) + 1]
                raise TransportError(self._redact(
                    f"{self.endpoint}: HTTP 400, {mode} refused: {exc}"), 400,
                    immediate=True) from None
            raise TransportError(self._redact(f"{self.endpoint}: HTTP 400: {exc}"), 400,
                                 retryable=False) from None
        except self._openai.APIStatusError as exc:
            status = exc.status_code
            retryable = status in (408, 409, 429) or status >= 500
            raise TransportError(self._redact(f"{self.endpoint}: HTTP {status}: {exc}"), status,
                                 retryable, _retry_after(exc.response)) from None
        except self._openai.APIError as exc:  # connection errors and timeouts
            raise TransportError(self._redact(
                f"{self.endpoint}: {type(exc).__name__}: {exc}")) from None

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
        raw = self._client.chat.completions.with_raw_response.create(
            model=self.model, messages=messages, temperature=request.temperature,  # type: ignore[arg-type]
            seed=request.seed, max_tokens=request.max_tokens, **kwargs,
        )
        try:
            body = raw.http_response.text
        except Exception as exc:  # noqa: BLE001 - a body cut off in transit is a failed attempt
            raise self._openai.APIConnectionError(request=raw.http_response.request) from exc
        latency = time.perf_counter() - start
        return reply_from_body(body, mode, self.model, latency)

    def _redact(self, text: str) -> str:
        return text.replace(self._secret, "***") if self._secret != NO_KEY else text

    def __repr__(self) -> str:
        return f"OpenAIChat(endpoint={self.endpoint!r}, model={self.model!r})"


def reply_from_body(body: str, mode: str, model: str, latency: float) -> ChatReply:
    """A chat completion body as a :class:`ChatReply`; anything else as data with its reason."""
    def bad(reason: str) -> ChatReply:
        return ChatReply(text=body[:MAX_BODY], latency_s=latency, model=model, structured=mode,
                         body_error=reason)
    try:
        data = json.loads(body)
    except ValueError as exc:
        kind = "an HTML page" if body.lstrip()[:1] == "<" else "not JSON"
        return bad(f"reply body is {kind} ({' '.join(str(exc).split())[:120]})")
    try:
        choice = data["choices"][0]
        content = choice["message"]["content"]
        if content is not None and not isinstance(content, str):
            raise TypeError("message.content is not a string")
        usage = data.get("usage") or {}
        prompt_tokens = usage.get("prompt_tokens")
        completion_tokens = usage.get("completion_tokens")
        served = data.get("model") or model
    except (KeyError, IndexError, TypeError, AttributeError) as exc:
        return bad(f"reply body is not a chat completion ({type(exc).__name__}: {exc})")
    return ChatReply(
        text=content or "", prompt_tokens=prompt_tokens if isinstance(prompt_tokens, int) else None,
        completion_tokens=completion_tokens if isinstance(completion_tokens, int) else None,
        latency_s=latency, model=str(served), structured=mode,
        finish_reason=choice.get("finish_reason") if isinstance(choice, dict) else None)


def _retry_after(response: Any) -> float | None:
    try:
        value = float(response.headers.get("retry-after"))
    except (TypeError, ValueError, AttributeError):
        return None
    return min(max(value, 0.0), MAX_RETRY_AFTER)


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


Reply = str | Callable[[ChatRequest], str] | BaseException


class FakeChat:
    """A scripted client for tests (the inspect_ai mockllm pattern).

    Args:
        scripted_replies: answers in order; each is a string, a function of the request, or
            an exception to raise (e.g. a :class:`TransportError`).
        responder: used once the script is spent (a function of the request), else a
            non-retryable TransportError.
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
        self.max_retries = 0
        self.timeout = 1.0
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
                raise TransportError(
                    f"FakeChat: script spent after {len(self.requests) - 1} replies", None,
                    retryable=False)
        if isinstance(reply, BaseException):
            raise reply
        text = reply(request) if callable(reply) else reply
        prompt_tokens = sum(len(m["content"]) // 4 for m in request.messages)
        return ChatReply(text=text, prompt_tokens=prompt_tokens, completion_tokens=len(text) // 4,
                         latency_s=0.0, model=self.model)
