"""Run budgets: steps, frames, tokens and wall time. The planner must finish on its last step; a run
that runs out of tokens or time ends with a best-effort answer marked as such."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from vidseek.config import AgentSettings
from vidseek.tools.base import Budget


@dataclass
class RunBudget:
    max_steps: int = 10
    max_frames: int = 96
    max_tokens: int = 60_000
    max_wall_s: float = 600.0
    steps_used: int = 0
    started: float = field(default_factory=time.monotonic)
    tool_budget: Budget = field(default_factory=Budget)

    @classmethod
    def from_settings(cls, agent: AgentSettings) -> RunBudget:
        return cls(
            max_steps=max(1, agent.max_steps),
            max_frames=agent.max_frames,
            max_tokens=agent.max_tokens,
            max_wall_s=agent.max_wall_s,
            tool_budget=Budget(frames_left=agent.max_frames, tokens_left=agent.max_tokens),
        )

    @property
    def tokens_used(self) -> int:
        return self.tool_budget.tokens_used

    @property
    def frames_used(self) -> int:
        return self.tool_budget.frames_used

    @property
    def wall_s(self) -> float:
        return time.monotonic() - self.started

    def spend_tokens(self, n: int) -> None:
        self.tool_budget.spend_tokens(n)

    def is_last_step(self) -> bool:
        """The next planner step is the last one allowed (or tokens/time are nearly gone)."""
        return (
            self.steps_used + 1 >= self.max_steps
            or self.tokens_used >= 0.85 * self.max_tokens
            or self.wall_s >= 0.85 * self.max_wall_s
        )

    def exhausted(self) -> str | None:
        """Why the run must stop now, or None."""
        if self.steps_used >= self.max_steps:
            return f"step budget ({self.max_steps}) used up"
        if self.tokens_used >= self.max_tokens:
            return f"token budget ({self.max_tokens}) used up"
        if self.wall_s >= self.max_wall_s:
            return f"time budget ({self.max_wall_s:.0f} s) used up"
        return None
