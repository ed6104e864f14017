"""The test planner: a deterministic chat model with no weights and no server, for tests and crash
suites that drive the real CLI (like pydantic-ai's ``TestModel``). It never stands in for a feature.

``test:search_speech+search_segments`` calls each named tool in turn with the user's question as
the query, then ``finish`` with the first line of the first result that cites a time span (and that
span as evidence). Asked a JSON question instead (a policy that drives the tools itself), it fills
the schema with fixed values. ``?log=FILE`` appends every request (the question, the step) to
``FILE`` as a JSON line, so a test can see what was asked, and by which process.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Sequence
from typing import Any

from vidseek.models.chat_base import ChatCapabilities, ChatResponse, Message, ToolCall, Usage

SPAN = re.compile(r"\[(\d+(?:\.\d+)?) s - (\d+(?:\.\d+)?) s\]")
CAPABILITIES = ChatCapabilities(tool_calls=True, json_schema=True)


def _question(messages: Sequence[Message]) -> str:
    """The user's question: the first user message (its last paragraph in a chat thread)."""
    first = next((str(m.get("content") or "") for m in messages if m.get("role") == "user"), "")
    return first.split("New question:")[-1].strip()


def _fill(schema: dict[str, Any]) -> Any:
    """A fixed value that satisfies ``schema`` (the first option of enums, one item of arrays)."""
    if "enum" in schema:
        return schema["enum"][0]
    if "anyOf" in schema:
        return _fill(schema["anyOf"][0])
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties") or {}
        return {k: _fill(props.get(k, {})) for k in schema.get("required") or props}
    if kind == "array":
        return [_fill(schema.get("items") or {"type": "integer"})]
    if kind == "integer":
        return max(1, int(schema.get("minimum", 1)))
    if kind == "number":
        return 0.5
    if kind == "boolean":
        return False
    return "unknown"


class TestPlanner:
    """See the module docstring; stateless, so threads and processes may share one."""

    __test__ = False  # not a pytest class

    def __init__(self, tools: Sequence[str], log_path: str | None = None, ref: str = "") -> None:
        self.tools = list(tools)
        self.log_path = log_path
        self.ref = ref or "test:" + "+".join(self.tools)
        self.capabilities = CAPABILITIES

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
        question = _question(messages)
        results = [str(m.get("content") or "") for m in messages if m.get("role") == "tool"]
        self._log(question, len(results))
        if response_schema is not None and not tools:
            return ChatResponse(content=json.dumps(_fill(response_schema)), usage=Usage(10, 10))
        offered = {t["function"]["name"] for t in tools or []}
        forced = isinstance(tool_choice, dict)
        plan = [t for t in self.tools if t in offered]
        if not forced and len(results) < len(plan):
            name = plan[len(results)]
            return self._call(name, len(results), query=question[:500] or "anything")
        return self._call("finish", len(results), **_finish_args(results))

    def _call(self, name: str, step: int, **arguments: Any) -> ChatResponse:
        call = ToolCall(f"t{step}-{name}", name, arguments, json.dumps(arguments))
        return ChatResponse(content="", tool_calls=[call], usage=Usage(10, 10))

    def _log(self, question: str, results: int) -> None:
        if not self.log_path:
            return
        line = json.dumps({"pid": os.getpid(), "question": question, "results": results})
        with open(self.log_path, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")


def _finish_args(results: Sequence[str]) -> dict[str, Any]:
    """The first result line that cites a span: its text is the answer, its span the evidence."""
    for text in results:
        for line in text.splitlines():
            m = SPAN.search(line)
            if m:
                start, end = float(m.group(1)), float(m.group(2))
                answer = " ".join(line.split())[:300]
                span = {"start_s": start, "end_s": max(end, start), "why": "first match"}
                return {"answer": answer, "evidence": [span], "confidence": 0.5}
    return {"answer": "not found", "evidence": [], "confidence": 0.0}


def load_test_planner(ref: Any, settings: Any) -> TestPlanner:
    names = [n for n in str(ref.name).split("+") if n.strip()]
    return TestPlanner(names or ["search_segments"], ref.options.get("log"), str(ref))
