"""The chat interface the roles depend on: requests, replies and the ChatClient protocol."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from steerherd.errors import SteerherdError


class LLMError(SteerherdError, RuntimeError):
    """A language-model endpoint failed after the client's own retries (no secret in the text)."""


class BudgetExceeded(SteerherdError, RuntimeError):
    """The run's call budget is spent; everything answered so far is stored."""


class Interrupted(SteerherdError, RuntimeError):
    """The run was asked to stop (SIGINT/SIGTERM); no new call is sent, answers are stored."""


class TransportError(SteerherdError, RuntimeError):
    """One HTTP attempt failed before a reply body arrived (or with an error status).

    Attributes:
        status: the HTTP status, or None for a connection error or timeout.
        retryable: whether the harness may try again (429, 5xx, timeouts, dropped
            connections, a structure mode the server refused); 4xx other than 429 are not.
        retry_after: seconds the server asked to wait (``retry-after``), if any.
        immediate: retry at once without backoff (the structure mode was just downgraded).
    """

    def __init__(self, message: str, status: int | None = None, retryable: bool = True,
                 retry_after: float | None = None, immediate: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after
        self.immediate = immediate


@dataclass(frozen=True)
class ChatRequest:
    """One chat completion request, everything that can change the answer.

    Attributes:
        messages: ``({"role": ..., "content": ...}, ...)``.
        schema_name: name of the JSON schema the answer must follow.
        schema: the JSON schema (a pydantic model's ``model_json_schema()``).
        temperature: sampling temperature.
        seed: sampling seed sent to the endpoint.
        max_tokens: completion token limit.
    """

    messages: tuple[dict[str, str], ...]
    schema_name: str
    schema: dict[str, Any]
    temperature: float = 0.7
    seed: int = 0
    max_tokens: int = 200

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (stored with every call)."""
        return {
            "messages": list(self.messages),
            "schema_name": self.schema_name,
            "schema": self.schema,
            "temperature": self.temperature,
            "seed": self.seed,
            "max_tokens": self.max_tokens,
        }

    def cache_key(self, endpoint: str, model: str, prompt_version: str, replicate: int) -> str:
        """sha256 of exactly the inputs that can change the output.

        Transport settings (timeouts, retries, concurrency) are left out; the replicate index
        is in, so replicates of the same prompt are distinct calls (inspect_ai's epoch key).
        """
        blob = json.dumps(
            {"request": self.to_dict(), "endpoint": endpoint, "model": model,
             "prompt_version": prompt_version, "replicate": replicate},
            sort_keys=True, separators=(",", ":"),
        )
        return hashlib.sha256(blob.encode()).hexdigest()

    def global_key(self, endpoint: str, model: str) -> str:
        """Key of the response cache shared by every run: exactly what changes an answer.

        The endpoint is normalised (:func:`normalise_endpoint`), so ``localhost`` and
        ``127.0.0.1``, or a trailing slash, are one server; the seed carries the replicate.
        """
        blob = json.dumps({"request": self.to_dict(), "endpoint": normalise_endpoint(endpoint),
                           "model": model}, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()


def normalise_endpoint(endpoint: str) -> str:
    """One spelling per server.

    Scheme and host are lower-cased, loopback names become 127.0.0.1, default ports and
    trailing slashes are dropped. Non-URL identities (``local:…``) pass as is.
    """
    from urllib.parse import urlsplit

    if "://" not in endpoint:
        return endpoint
    parts = urlsplit(endpoint.strip())
    host = (parts.hostname or "").lower()
    if host in ("localhost", "::1", "ip6-localhost"):
        host = "127.0.0.1"
    scheme = parts.scheme.lower()
    port = parts.port
    netloc = host if port is None or (scheme, port) in (("http", 80), ("https", 443)) \
        else f"{host}:{port}"
    return f"{scheme}://{netloc}{parts.path.rstrip('/')}"


@dataclass(frozen=True)
class ChatReply:
    """A completed call: raw text, usage, latency and how structure was requested."""

    text: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    latency_s: float = 0.0
    model: str = ""
    structured: str = "json_schema"
    finish_reason: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    #: why the HTTP body is not a chat completion (HTML, malformed or truncated JSON, another
    #: schema); ``text`` then holds the raw body and the answer counts as a failed parse
    body_error: str | None = None


@runtime_checkable
class ChatClient(Protocol):
    """What the roles need from a language-model backend."""

    model: str
    endpoint: str  # stable identity of the server (no secrets): a URL or "local:<gguf>"

    def complete(self, request: ChatRequest) -> ChatReply:
        """Send one request; raise :class:`LLMError` when the endpoint fails."""
        ...
