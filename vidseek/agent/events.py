"""Events every run emits (planner thought, tool start, tool end with evidence, answer), so the CLI,
the web page and the scenario runner can follow a run live without knowing the graph."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from vidseek import killpoints

log = logging.getLogger(__name__)

EventKind = Literal["start", "thought", "tool_start", "tool_end", "notice", "answer", "error"]


@dataclass
class Event:
    """One thing that happened in a run. ``data`` is JSON-able: for ``tool_start`` the call
    (id, name, arguments); for ``tool_end`` also the text, the findings (as dicts), the evidence
    spans and the frame count; for
    ``answer`` the Answer as a dict."""

    kind: EventKind
    step: int
    data: dict[str, Any] = field(default_factory=dict)
    time_s: float = field(default_factory=time.time)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "step": self.step, "time_s": self.time_s, **self.data}


EventSink = Callable[[Event], None]


class EventBus:
    """Fans events out to sinks; a failing sink is logged, never allowed to break a run."""

    def __init__(self, *sinks: EventSink | None) -> None:
        self.sinks: list[EventSink] = [s for s in sinks if s is not None]
        self.history: list[Event] = []

    def emit(self, kind: EventKind, step: int, **data: Any) -> Event:
        killpoints.reached(f"agent.{kind}")  # inert outside crash tests
        event = Event(kind, step, data)
        self.history.append(event)
        for sink in self.sinks:
            try:
                sink(event)
            except Exception:  # a UI bug must not end the run
                log.exception("event sink failed on %s", kind)
        return event
