"""The agent: a LangGraph planner over the tools, with policies, budgets, events and sessions.

from vidseek.agent import Agent, ask
answer = ask("video.mp4", "What code is announced?")
"""

from __future__ import annotations

from vidseek.agent.agent import Agent, ask
from vidseek.agent.answer import Answer, EvidenceSpan, Trace
from vidseek.agent.events import Event

__all__ = ["Agent", "Answer", "Event", "EvidenceSpan", "Trace", "ask"]
