"""Language models as planner, oracle and agents (MODEL.md §4).

The roles depend on the :class:`~steerherd.llm.types.ChatClient` protocol; only
:mod:`steerherd.llm.client` imports ``openai``. Every call goes through the SQLite
:class:`~steerherd.llm.store.RunStore`, which records it before it is used.
"""

from steerherd.llm.types import ChatClient, ChatReply, ChatRequest, LLMError

__all__ = ["ChatClient", "ChatReply", "ChatRequest", "LLMError"]
