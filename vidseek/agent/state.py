"""The graph state: plain JSON-able data only, so a SQLite checkpoint can hold it. Frames appear as
references (time and JPEG path), never as pixels; handles (model, tools, index) live outside."""

from __future__ import annotations

from typing import Any, TypedDict


class PendingCall(TypedDict, total=False):
    id: str
    name: str
    arguments: dict[str, Any]
    error: str | None  # set when the call must not run: the error goes back to the planner


class ToolOutcome(TypedDict, total=False):
    step: int
    id: str
    name: str
    arguments: dict[str, Any]
    text: str
    ok: bool
    evidence: list[dict[str, Any]]
    frames: list[dict[str, Any]]
    data: dict[str, Any]


class Turn(TypedDict, total=False):
    """One finished question of a chat thread (what follow-up questions can refer to)."""

    question: str
    answer: str
    choice: str | None
    evidence: list[dict[str, Any]]
    confidence: float


class AgentState(TypedDict, total=False):
    question: str
    options: list[str] | None
    messages: list[dict[str, Any]]  # this question's conversation (OpenAI format, frame refs)
    history: list[Turn]  # earlier questions of the thread
    step: int
    pending: list[PendingCall]
    results: list[ToolOutcome]
    final: dict[str, Any] | None
    policy: dict[str, Any]  # the policy's own bookkeeping (phase, key info, rounds)
    seen_calls: dict[str, int]  # call signature -> times asked, to catch loops
    stop_reason: str
    best_effort: bool
    error: str | None
