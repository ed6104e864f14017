"""The graph state: plain JSON-able data only, so a SQLite checkpoint can hold it. Frames appear as
references (time and JPEG path), never as pixels; findings as their dicts
(``vidseek.tools.findings.Finding.as_dict``); handles (model, tools, index) live in the run context
outside the state."""

from __future__ import annotations

from typing import Any, TypedDict

from vidseek.tools.findings import Role


class PendingCall(TypedDict, total=False):
    id: str
    name: str
    arguments: dict[str, Any]
    error: str | None  # set when the call must not run: the error goes back to the planner


class ToolOutcome(TypedDict, total=False):
    """One finished call: what the planner read (``text``) and what the tool found
    (``findings``, the data policies read)."""

    step: int
    id: str
    name: str
    role: Role
    arguments: dict[str, Any]
    text: str
    ok: bool
    findings: list[dict[str, Any]]
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


class PolicyState(TypedDict, total=False):
    """What every policy keeps between steps; each policy extends it with its own keys
    (``ChainOfShotState``, ``DvdState``). ``draft_answer`` is the answer so far, used when a run
    ends without ``finish``."""

    draft_answer: str


class AgentState(TypedDict, total=False):
    question: str
    options: list[str] | None
    messages: list[dict[str, Any]]  # this question's conversation (OpenAI format, frame refs)
    history: list[Turn]  # earlier questions of the thread
    step: int
    pending: list[PendingCall]
    results: list[ToolOutcome]
    final: dict[str, Any] | None
    policy: PolicyState  # the policy's own bookkeeping (phase, key info, rounds)
    seen_calls: dict[str, int]  # call signature -> times asked, to catch loops
    stop_reason: str
    best_effort: bool
    error: str | None


def results_with_role(state: AgentState, role: Role) -> list[ToolOutcome]:
    """The successful calls of tools with ``role``, in the order they ran."""
    return [r for r in state.get("results") or [] if r.get("ok") and r.get("role") == role]
