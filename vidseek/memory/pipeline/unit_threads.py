"""Worker threads for the frame pass: each unit gets a thread of its own and a short queue, so the
units of one decode pass work at the same time (tesseract runs in a subprocess, torch and
CTranslate2 release the GIL) while each unit still sees its batches in time order (``shots`` is
stateful).

The queues are bounded (back-pressure: the decoder waits for the slowest unit, memory stays flat).
The first exception in any worker stops every worker and is raised to the producer at its next
``put`` or at ``close``; nothing hangs on a full queue of a worker that is gone.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any

log = logging.getLogger(__name__)

_DONE = object()
_POLL_S = 0.1


class UnitThreads:
    """One thread per unit name; ``handle(i, item)`` runs in thread ``i`` for every item put to
    it, in the order put. Use as a context manager: leaving it on an error stops the workers."""

    def __init__(
        self, names: Sequence[str], handle: Callable[[int, Any], None], depth: int = 2
    ) -> None:
        self._handle = handle
        self._queues: list[queue.Queue[Any]] = [queue.Queue(maxsize=depth) for _ in names]
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._error: BaseException | None = None
        self._threads = [
            threading.Thread(target=self._work, args=(i,), name=f"vidseek-{name}", daemon=True)
            for i, name in enumerate(names)
        ]
        for thread in self._threads:
            thread.start()

    def _work(self, i: int) -> None:
        q = self._queues[i]
        while not self._stop.is_set():
            try:
                item = q.get(timeout=_POLL_S)
            except queue.Empty:
                continue
            if item is _DONE:
                return
            try:
                self._handle(i, item)
            except BaseException as exc:  # noqa: BLE001 - handed to the producer
                with self._lock:
                    if self._error is None:
                        self._error = exc
                self._stop.set()
                return

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error

    def put(self, i: int, item: Any) -> None:
        """Queue ``item`` for unit ``i``; waits while its queue is full, raises a worker's error."""
        while True:
            self._raise_if_failed()
            try:
                self._queues[i].put(item, timeout=_POLL_S)
                return
            except queue.Full:
                continue

    def close(self) -> None:
        """Let every worker finish what is queued, wait for them, raise the first error."""
        for i in range(len(self._queues)):
            self.put(i, _DONE)
        self._join()
        self._raise_if_failed()

    def abort(self) -> None:
        """Stop the workers (each ends after the item it holds) and wait for them."""
        self._stop.set()
        self._join()

    def _join(self) -> None:
        for thread in self._threads:
            thread.join()

    def __enter__(self) -> UnitThreads:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self.abort()
