"""The test kit's models: a scripted chat model and the switch for real model requests."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from vidseek.models.chat_base import (
    MODEL_REQUESTS_ENV,
    ChatCapabilities,
    ChatResponse,
    Message,
    ToolCall,
    Usage,
)

# --- real model requests ---------------------------------------------------------------------


@contextmanager
def allow_model_requests(allowed: bool = True) -> Iterator[None]:
    """Switch real model requests on (or off) inside the block, as the test markers do."""
    before = os.environ.get(MODEL_REQUESTS_ENV)
    os.environ[MODEL_REQUESTS_ENV] = "1" if allowed else "0"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(MODEL_REQUESTS_ENV, None)
        else:
            os.environ[MODEL_REQUESTS_ENV] = before


# --- a scripted chat model --------------------------------------------------------------------

Reply = ChatResponse | Callable[[dict[str, Any]], ChatResponse] | Exception


def tool_call(name: str, **arguments: Any) -> ToolCall:
    """A tool call as a planner would make it."""
    return ToolCall(
        id=f"c{time.monotonic_ns()}",
        name=name,
        arguments=arguments,
        raw_arguments=json.dumps(arguments),
    )


def reply(*calls: ToolCall, content: str = "", tokens: int = 10) -> ChatResponse:
    """A planner reply with tool calls (and ``tokens`` prompt and completion tokens)."""
    return ChatResponse(content=content, tool_calls=list(calls), usage=Usage(tokens, tokens))


def json_reply(value: dict[str, Any], tokens: int = 10) -> ChatResponse:
    """A reply to a JSON-constrained question."""
    return ChatResponse(content=json.dumps(value), usage=Usage(tokens, tokens))


def answer_by_schema(**values: dict[str, Any]) -> Callable[[dict[str, Any]], ChatResponse]:
    """A reply (for ``ScriptedChatModel(..., repeat_last=True)``) that answers each JSON question
    by its schema: ``values[key]`` for the first required key of the schema it was asked with,
    e.g. ``answer_by_schema(selected={"selected": [1]}, answer={"answer": "3815"})``."""

    def answer(req: dict[str, Any]) -> ChatResponse:
        required = list((req.get("response_schema") or {}).get("required") or [])
        key = next((k for k in required if k in values), None)
        if key is None:
            raise AssertionError(f"no scripted answer for a question asking for {required}")
        return json_reply(values[key])

    return answer


class ScriptedChatModel:
    """A ChatModel that answers each ``complete`` with the next scripted reply (a response, a
    function of the request, or an exception to raise) and records every request."""

    def __init__(
        self,
        replies: Sequence[Reply],
        ref: str = "scripted:test",
        repeat_last: bool = False,
        sees_images: bool = False,
        streams: bool = False,
    ) -> None:
        self.replies = list(replies)
        self.ref = ref
        self.capabilities = ChatCapabilities(
            tool_calls=True, json_schema=True, sees_images=sees_images, streams=streams
        )
        self.requests: list[dict[str, Any]] = []
        self.repeat_last = repeat_last

    def complete(
        self,
        messages: Sequence[Message],
        tools: Sequence[dict[str, Any]] | None = None,
        tool_choice: str | dict[str, Any] | None = None,
        response_schema: dict[str, Any] | None = None,
        max_tokens: int | None = None,
        temperature: float = 0.0,
        on_token: Callable[[str], None] | None = None,
    ) -> ChatResponse:
        req = {
            "messages": [dict(m) for m in messages],
            "tools": [t["function"]["name"] for t in tools or []],
            "tool_choice": tool_choice,
            "response_schema": response_schema,
        }
        self.requests.append(req)
        if not self.replies:
            raise AssertionError("the scripted model ran out of replies")
        last = self.repeat_last and len(self.replies) == 1
        item = self.replies[0] if last else self.replies.pop(0)
        if isinstance(item, Exception):
            raise item
        resp = item(req) if callable(item) else item
        if on_token is not None and resp.content:
            on_token(resp.content)
        return resp

    def prompt_text(self, i: int) -> str:
        """The text of every message of request ``i``."""
        return "\n".join(str(m.get("content")) for m in self.requests[i]["messages"])
