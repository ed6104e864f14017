"""Pieces both policies use: the opening messages and the summary of earlier turns."""

from __future__ import annotations

from typing import Any

from vidseek.agent.answer import format_question
from vidseek.agent.state import AgentState


def earlier_turns(state: AgentState, limit: int = 4) -> str:
    """Earlier questions of this chat thread and their answers, so follow-ups can refer to them."""
    turns = (state.get("history") or [])[-limit:]
    if not turns:
        return ""
    lines = ["Earlier in this conversation:"]
    for t in turns:
        spans = ", ".join(
            f"{e['start_s']:.1f}-{e['end_s']:.1f} s" for e in t.get("evidence", [])[:3]
        )
        lines.append(f"- Q: {t['question']}")
        lines.append(f"  A: {t['answer']}" + (f" (evidence at {spans})" if spans else ""))
    return "\n".join(lines)


def question_text(state: AgentState) -> str:
    return format_question(state.get("question", ""), state.get("options"))


def user_question_message(state: AgentState) -> dict[str, Any]:
    earlier = earlier_turns(state)
    text = question_text(state)
    if earlier:
        text = f"{earlier}\n\nNew question: {text}"
    return {"role": "user", "content": text}
