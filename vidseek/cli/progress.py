"""Drawing ``vidseek.progress`` events in the terminal.

On a terminal: rich bars, one per task (and scope). Anywhere else (CI, a log file, ``nohup``) a
bar would be invisible, so each task prints plain lines instead: when it starts, its progress
(done/total, rate, ETA) at most every few seconds, when it ends, and at the close a per-task
timing summary.

A ``message`` event that names a running task is that task's status (shown beside its bar, or in
its next plain line); any other message is printed as a line.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console

from vidseek.progress import ProgressEvent, ProgressSink


def duration(seconds: float) -> str:
    """1.2 s, 42 s, 3m05s, 1h02m."""
    seconds = max(0.0, seconds)
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def amount(value: float, unit: str = "") -> str:
    text = f"{value:.0f}" if float(value).is_integer() or value >= 100 else f"{value:.1f}"
    return f"{text} {unit}" if unit else text


def _scope_name(scope: str) -> str:
    return Path(scope).name if scope else ""


@dataclass
class TaskState:
    """What the plain renderer knows of one task."""

    task: str
    scope: str
    unit: str
    total: float | None
    first_done: float
    done: float
    started: float
    updated: float
    last_line: float = 0.0
    lines: int = 0  # progress lines printed so far
    pending: str = ""  # the start line, written with the task's first progress or its end
    status: str = ""
    finished: float | None = None
    detail: str = ""

    @property
    def label(self) -> str:
        where = _scope_name(self.scope)
        return f"{where}: {self.task}" if where else self.task

    def rate(self) -> float | None:
        """Amount per second since the task started (None before any progress)."""
        spent = self.updated - self.started
        moved = self.done - self.first_done
        return moved / spent if spent > 0 and moved > 0 else None

    def eta(self) -> float | None:
        rate = self.rate()
        if rate is None or self.total is None:
            return None
        return max(0.0, (self.total - self.done) / rate)

    def seconds(self) -> float:
        return (self.finished or self.updated) - self.started


class PlainProgress:
    """A thread-safe sink that writes plain progress lines to ``stream`` (stderr when not a TTY).

    ``every_s``: the least time between two progress lines of one task (the first progress of
    each task is shown at once, so short tasks still say how fast they went)."""

    def __init__(self, stream: TextIO, every_s: float = 5.0, clock: Any = time.time) -> None:
        self.stream = stream
        self.every_s = every_s
        self.clock = clock
        self.tasks: dict[tuple[str, str], TaskState] = {}
        self._lock = threading.Lock()
        self._opened = clock()

    def _write(self, line: str) -> None:
        self.stream.write(line + "\n")
        self.stream.flush()

    def __call__(self, event: ProgressEvent) -> None:
        with self._lock:
            self._handle(event)

    def _handle(self, e: ProgressEvent) -> None:
        key = (e.scope, e.task)
        now = e.time_s
        if e.kind == "message":
            state = self.tasks.get(key)
            if state is not None and state.finished is None:
                state.status = e.detail
            else:
                where = _scope_name(e.scope)
                self._write(f"{where}: {e.detail}" if where else e.detail)
            return
        if e.kind == "start":
            state = TaskState(e.task, e.scope, e.unit, e.total, e.done, e.done, now, now)
            self.tasks[key] = state
            total = f" of {amount(e.total, e.unit)}" if e.total is not None else ""
            resumed = f", {amount(e.done, e.unit)} done before" if e.done else ""
            # held back until the task moves: a task that fails at once (a refused file) leaves
            # only the command's one error line
            state.pending = f"{state.label}: started{total}{resumed}"
            return
        state = self.tasks.get(key)
        if state is None:  # an advance without a start (a sink attached late): start it here
            state = TaskState(e.task, e.scope, e.unit, e.total, e.done, e.done, now, now)
            self.tasks[key] = state
        state.done, state.updated = e.done, now
        if e.total is not None:
            state.total = e.total
        if e.kind == "finish":
            state.finished, state.detail = now, e.detail
            if state.pending and e.detail.startswith("failed"):
                state.pending = ""  # the error line says it
                return
            self._flush_start(state)
            self._write(self._finish_line(state))
            return
        self._flush_start(state)
        if state.lines == 0 or now - state.last_line >= self.every_s:
            state.last_line, state.lines = now, state.lines + 1
            self._write(self._progress_line(state))

    def _flush_start(self, state: TaskState) -> None:
        if state.pending:
            self._write(state.pending)
            state.pending = ""

    def _progress_line(self, s: TaskState) -> str:
        if s.total:
            pct = f" ({100 * s.done / s.total:.0f}%)"
            parts = [f"{amount(s.done)}/{amount(s.total, s.unit)}{pct}"]
        else:
            parts = [amount(s.done, s.unit)]
        rate = s.rate()
        if rate is not None:
            parts.append(f"{rate:.3g} {s.unit or 'steps'}/s")
        eta = s.eta()
        if eta is not None:
            parts.append(f"ETA {duration(eta)}")
        if s.status:
            parts.append(s.status)
        return f"{s.label}: " + ", ".join(parts)

    def _finish_line(self, s: TaskState) -> str:
        detail = f" ({s.detail})" if s.detail else ""
        return f"{s.label}: done in {duration(s.seconds())}{detail}"

    def summary(self) -> list[str]:
        """The per-task timing summary, one block per scope."""
        with self._lock:
            states = list(self.tasks.values())
        if not states:
            return []
        closed = self.clock()
        lines = ["timing summary:"]
        scopes = list(dict.fromkeys(s.scope for s in states))
        width = max(len(s.task) for s in states)
        for scope in scopes:
            mine = [s for s in states if s.scope == scope]
            indent = "  "
            if len(scopes) > 1 or scope:
                lines.append(f"  {_scope_name(scope) or '(no scope)'}")
                indent = "    "
            for s in mine:
                moved = s.done - s.first_done
                # a task its producer never finished ran until the command ended at the latest
                spent = s.seconds() if s.finished is not None else closed - s.started
                rate = f"  {moved / spent:.3g} {s.unit or 'steps'}/s" if spent > 0 and moved else ""
                lines.append(f"{indent}{s.task:<{width}}  {duration(spent):>7}{rate}")
        lines.append(f"  total  {duration(closed - self._opened)}")
        return lines

    def close(self) -> None:
        for line in self.summary():
            self._write(line)


class RichProgress:
    """A thread-safe sink that draws one rich bar per task on a terminal."""

    def __init__(self, console: Console) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.console = console
        self.bars = Progress(
            TextColumn("{task.description:<18}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[unit]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[status]}"),
            console=console,
            transient=False,
        )
        self.ids: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def __enter__(self) -> RichProgress:
        self.bars.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.bars.stop()

    def __call__(self, event: ProgressEvent) -> None:
        with self._lock:
            self._handle(event)

    def _handle(self, e: ProgressEvent) -> None:
        key = (e.scope, e.task)
        if e.kind == "message":
            if key in self.ids:
                self.bars.update(self.ids[key], status=e.detail)
            else:
                self.bars.console.print(e.detail, highlight=False, markup=False)
            return
        if key not in self.ids:
            self.ids[key] = self.bars.add_task(
                e.task, total=e.total, completed=e.done, unit=e.unit, status=""
            )
            if e.kind == "start":
                return
        task_id = self.ids[key]
        if e.kind == "start":  # the same task started again (a resumed stage): reset it
            self.bars.reset(task_id, total=e.total, completed=e.done)
            return
        self.bars.update(task_id, completed=e.done, total=e.total)
        if e.kind == "finish":
            self.bars.update(task_id, status=e.detail)


@contextmanager
def progress_display(
    console: Console, enabled: bool = True, every_s: float = 5.0
) -> Iterator[ProgressSink | None]:
    """A progress sink for the duration of a command: rich bars when ``console`` is a terminal,
    plain lines otherwise (with a timing summary when the command succeeds); None when
    ``enabled`` is false."""
    if not enabled:
        yield None
        return
    if console.is_terminal:
        with RichProgress(console) as rich_sink:
            yield rich_sink
        return
    plain = PlainProgress(console.file, every_s=every_s)
    yield plain
    plain.close()  # the summary only after success: a failure stays one error line
