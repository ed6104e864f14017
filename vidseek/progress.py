"""Progress events: how long work (indexing stages, fetching samples, building haystacks, installing
model packs, batch runs) reports how far it is, without knowing who is watching.

Producers in the lower layers (media, models, memory, footage, scenarios) take an optional
``ProgressSink`` and report through a ``Progress`` helper; they never draw anything themselves. The
consumers live above them: the terminal UI in ``vidseek.cli`` (rich bars on a terminal, plain lines
every few seconds otherwise), the service layer (server-sent events), tests (a list). A sink may be
called from worker threads, so sinks must be thread-safe; a failing sink is logged and never breaks
the work it watches.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from vidseek import killpoints

log = logging.getLogger(__name__)

ProgressKind = Literal["start", "advance", "finish", "message"]


@dataclass(frozen=True)
class ProgressEvent:
    """One step of progress of one task.

    ``task`` names the piece of work ("speech", "ocr", "fetch samples"); ``scope`` names what it
    works on (a video path, a scenario), so one sink can follow several videos. ``done`` and
    ``total`` are in ``unit`` ("s" of video, "frames", "clips", "questions", "bytes"); ``total`` is
    None when unknown. ``kind``: ``start`` (a task begins, ``done`` may be > 0 when resuming),
    ``advance`` (``done`` is the new absolute amount), ``finish`` (``detail`` may say how it
    ended, e.g. "cached" or "12.3 s"), ``message`` (a line worth showing, in ``detail``).
    """

    kind: ProgressKind
    task: str
    done: float = 0.0
    total: float | None = None
    unit: str = ""
    scope: str = ""
    detail: str = ""
    time_s: float = field(default_factory=time.time)


ProgressSink = Callable[[ProgressEvent], None]


class Progress:
    """What a producer holds: it keeps the running totals per task and sends absolute amounts,
    so a sink that misses an event still shows the right figure. A ``Progress`` over ``None``
    costs nothing. Thread-safe."""

    def __init__(self, sink: ProgressSink | None = None, scope: str = "") -> None:
        self.sink = sink
        self.scope = scope
        self._done: dict[str, float] = {}
        self._total: dict[str, float | None] = {}
        self._unit: dict[str, str] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.sink is not None

    def _send(self, event: ProgressEvent) -> None:
        killpoints.reached(f"{event.task}.{event.kind}")  # inert outside crash tests
        if self.sink is None:
            return
        try:
            self.sink(event)
        except Exception:  # a display bug must not end the work it watches
            log.exception("progress sink failed on %s %s", event.kind, event.task)

    def start(self, task: str, total: float | None = None, unit: str = "", done: float = 0) -> None:
        with self._lock:
            self._done[task], self._total[task], self._unit[task] = float(done), total, unit
        self._send(ProgressEvent("start", task, float(done), total, unit, self.scope))

    def advance(self, task: str, n: float = 1) -> None:
        with self._lock:
            done = self._done.get(task, 0.0) + n
            self._done[task] = done
            total, unit = self._total.get(task), self._unit.get(task, "")
        self._send(ProgressEvent("advance", task, done, total, unit, self.scope))

    def update(self, task: str, done: float, total: float | None = None) -> None:
        """Set the absolute amount done (and the total, when it became known)."""
        with self._lock:
            self._done[task] = float(done)
            if total is not None:
                self._total[task] = total
            total, unit = self._total.get(task), self._unit.get(task, "")
        self._send(ProgressEvent("advance", task, float(done), total, unit, self.scope))

    def finish(self, task: str, detail: str = "") -> None:
        with self._lock:
            total = self._total.get(task)
            done = total if total is not None else self._done.get(task, 0.0)
            unit = self._unit.get(task, "")
        self._send(
            ProgressEvent("finish", task, float(done or 0.0), total, unit, self.scope, detail)
        )

    def message(self, text: str, task: str = "") -> None:
        self._send(ProgressEvent("message", task, scope=self.scope, detail=text))


class ProgressRecorder:
    """A sink that keeps every event (tests, the service layer's job records)."""

    def __init__(self) -> None:
        self.events: list[ProgressEvent] = []
        self._lock = threading.Lock()

    def __call__(self, event: ProgressEvent) -> None:
        with self._lock:
            self.events.append(event)

    def tasks(self) -> list[str]:
        with self._lock:
            return list(dict.fromkeys(e.task for e in self.events if e.kind == "start"))

    def finished(self) -> list[str]:
        with self._lock:
            return [e.task for e in self.events if e.kind == "finish"]


def fan_out(*sinks: ProgressSink | None) -> ProgressSink | None:
    """One sink that feeds several (None entries are skipped; None when there are none)."""
    live = [s for s in sinks if s is not None]
    if not live:
        return None
    if len(live) == 1:
        return live[0]

    def sink(event: ProgressEvent) -> None:
        for s in live:
            try:
                s(event)
            except Exception:
                log.exception("progress sink failed on %s %s", event.kind, event.task)

    return sink
