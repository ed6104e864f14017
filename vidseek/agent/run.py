"""What one question's run needs besides its state: the planner, the tools, the budgets, the event
bus and the trace. The graph is compiled once per Agent; a ``RunContext`` is made per question and
reaches the nodes as LangGraph's run-scoped context (``Runtime[RunContext]``).

Policies choose tools by role through ``tools_for(role)`` and ``tool_for(role)``, never by name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from vidseek.agent.answer import Trace
from vidseek.agent.budgets import RunBudget
from vidseek.agent.events import EventBus
from vidseek.agent.messages import expand_frames
from vidseek.agent.state import AgentState
from vidseek.models.chat_base import ChatCapabilities, ChatModel, ChatResponse, Message
from vidseek.tools.base import Tool, ToolContext
from vidseek.tools.findings import Role

if TYPE_CHECKING:
    from vidseek.config import Settings

PLANNER_MAX_TOKENS = 700


class Policy(Protocol):
    """Decides what the planner does on each step (``vidseek.agent.policies``)."""

    name: str

    def plan(self, run: RunContext, state: AgentState) -> dict[str, Any]:
        """One planner step: a state update with ``messages`` and ``pending`` calls (or
        ``final``/``stop_reason``)."""
        ...


def capabilities(model: Any) -> ChatCapabilities:
    """What the model declares it can do (a model that declares nothing gets no extras)."""
    caps = getattr(model, "capabilities", None)
    return caps if isinstance(caps, ChatCapabilities) else ChatCapabilities()


@dataclass
class RunContext:
    """Everything a run needs that is not data: handles, budgets, the event bus and the trace."""

    model: ChatModel
    tools: dict[str, Tool]
    tool_ctx: ToolContext
    budget: RunBudget
    bus: EventBus
    settings: Settings
    trace: Trace
    can_see: bool = False  # a vision model can look at frames (confirm on pixels)
    planner_sees_images: bool = False
    on_token: Callable[[str], None] | None = None

    def tools_for(self, role: Role) -> list[Tool]:
        """The offered tools with ``role``, in registration order (built-ins first)."""
        return [t for t in self.tools.values() if t.role == role]

    def tool_for(self, role: Role) -> Tool | None:
        """The first offered tool with ``role``, if any."""
        found = self.tools_for(role)
        return found[0] if found else None

    def role_of(self, name: str) -> Role:
        tool = self.tools.get(name)
        return tool.role if tool is not None else "other"

    def specs(self, names: Sequence[str] | None = None) -> list[dict[str, Any]]:
        chosen = (
            self.tools if names is None else {n: self.tools[n] for n in names if n in self.tools}
        )
        return [t.openai_spec() for t in chosen.values()]

    def call_model(
        self,
        messages: Sequence[Message],
        step: int,
        *,
        tools: Sequence[dict[str, Any]] | None = None,
        tool_choice: str | dict[str, Any] | None = None,
        response_schema: dict[str, Any] | None = None,
        max_tokens: int = PLANNER_MAX_TOKENS,
    ) -> ChatResponse:
        """One planner request with token accounting (raises ModelCallError after retries)."""
        kwargs: dict[str, Any] = {}
        if self.on_token is not None and capabilities(self.model).streams:
            kwargs["on_token"] = self.on_token
        resp = self.model.complete(
            expand_frames(messages, self.planner_sees_images),
            tools=tools,
            tool_choice=tool_choice,
            response_schema=response_schema,
            max_tokens=max_tokens,
            temperature=self.settings.agent.temperature,
            **kwargs,
        )
        self.trace.prompt_tokens += resp.usage.prompt_tokens
        self.trace.completion_tokens += resp.usage.completion_tokens
        self.trace.cost_usd += resp.usage.cost_usd
        self.budget.spend_tokens(resp.usage.total_tokens)
        return resp
