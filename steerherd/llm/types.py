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


@runtime_checkable
class ChatClient(Protocol):
    """What the roles need from a language-model backend."""

    model: str
    endpoint: str  # stable identity of the server (no secrets): a URL or "local:<gguf>"

    def complete(self, request: ChatRequest) -> ChatReply:
        """Send one request; raise :class:`LLMError` when the endpoint fails."""
        ...
