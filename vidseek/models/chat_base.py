"""The ChatModel seam: the planner talks to any OpenAI-compatible server through this protocol, and
unit tests put a scripted model here (no model requests from tests)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

Message = dict[str, Any]  # OpenAI chat format: {"role": ..., "content": str | list[parts], ...}


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: dict[str, Any]
    raw_arguments: str = ""  # as the model wrote them, for error messages
    parse_error: str | None = None  # set when the arguments were not valid JSON


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def add(self, other: Usage) -> None:
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.cost_usd += other.cost_usd


@dataclass
class ChatResponse:
    content: str
    tool_calls: list[ToolCall] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    model: str = ""
    finish_reason: str = ""


@dataclass(frozen=True)
class ChatCapabilities:
    """What a chat model can do, declared by its backend (never guessed from its name).

    ``tool_calls``: it returns native tool calls (else the adapter emulates them with constrained
    JSON); ``json_schema``: it can be constrained to a JSON schema; ``sees_images``: image parts in
    user messages reach a vision encoder (frames may be shown to the planner); ``streams``:
    ``complete`` accepts ``on_token`` and streams content through it."""

    tool_calls: bool = False
    json_schema: bool = False
    sees_images: bool = False
    streams: bool = False


@runtime_checkable
class ChatModel(Protocol):
    ref: str
    capabilities: ChatCapabilities

    def complete(
        self,
        messages: Sequence[Message],
        tools: Sequence[dict[str, Any]] | None = None,
        tool_choice: str | dict[str, Any] | None = None,
        response_schema: dict[str, Any] | None = None,
        max_tokens: int | None = None,
        temperature: float = 0.0,
    ) -> ChatResponse:
        """One chat turn. ``tools`` are OpenAI function specs; ``response_schema`` asks for JSON
        output that validates against a JSON schema (constrained decoding where supported)."""
        ...


MODEL_REQUESTS_ENV = "VIDSEEK_ALLOW_MODEL_REQUESTS"


class ModelRequestBlocked(RuntimeError):
    """A request to a real model where they are switched off (the unit tests)."""


def check_model_requests(ref: str) -> None:
    """Raise ``ModelRequestBlocked`` when ``VIDSEEK_ALLOW_MODEL_REQUESTS`` is 0, as pydantic-ai's
    ``ALLOW_MODEL_REQUESTS``: the test suite switches real model requests off and a test opts in
    with ``@pytest.mark.allow_model_requests`` (see ``vidseek.testing``). Every backend that
    calls a real model calls this first; the environment variable reaches subprocesses too."""
    if os.environ.get(MODEL_REQUESTS_ENV, "1").strip().lower() in ("0", "false", "no", "off"):
        raise ModelRequestBlocked(
            f"request to model '{ref}' blocked: real model requests are off here "
            f"({MODEL_REQUESTS_ENV}=0); use vidseek.testing.ScriptedChatModel, or mark the test "
            "with @pytest.mark.allow_model_requests"
        )
