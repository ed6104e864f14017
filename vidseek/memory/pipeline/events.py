"""How the pipeline's progress reaches whoever watches: a ``ProgressSink`` (vidseek.progress), or
for compatibility a bool (False: silent; True: a line per stage event through ``logging``)."""

from __future__ import annotations

import logging
import threading
import time

from vidseek.progress import ProgressEvent, ProgressSink

log = logging.getLogger("vidseek.memory.pipeline")


class LogSink:
    """Progress as log lines: every start and finish, and the running amount of a task at most
    every ``every_s`` seconds."""

    def __init__(self, every_s: float = 5.0, logger: logging.Logger = log) -> None:
        self.every_s = every_s
        self.logger = logger
        self._last: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def __call__(self, event: ProgressEvent) -> None:
        where = f"{event.scope}: " if event.scope else ""
        amount = f"{event.done:g}/{event.total:g} {event.unit}".rstrip() if event.total else ""
        if event.kind == "advance":
            key = (event.scope, event.task)
            now = time.monotonic()
            with self._lock:
                if now - self._last.get(key, 0.0) < self.every_s:
                    return
                self._last[key] = now
            self.logger.info("%s%s %s", where, event.task, amount)
        elif event.kind == "start":
            self.logger.info("%s%s started %s", where, event.task, amount)
        elif event.kind == "finish":
            self.logger.info("%s%s finished %s", where, event.task, event.detail)
        else:
            self.logger.info("%s%s", where, event.detail)


def resolve_sink(progress: ProgressSink | bool | None) -> ProgressSink | None:
    """The sink a caller meant: None/False silent, True log lines, else the sink itself."""
    if progress is None or progress is False:
        return None
    if progress is True:
        return LogSink()
    return progress
