"""Cross-process locks on files in the data dir: several ``vidseek index`` processes, Ray workers and
``vidseek serve`` share one data dir, and some things there (an embedded chromadb, the builder of
one video) must only be touched by one of them at a time.

``FileLock`` is ``fcntl.flock`` on a lock file plus a thread lock, so it serialises the threads of
one process too (flock alone would let two threads that share the file both in). The OS drops the
lock of a killed process, so a crash never leaves a data dir locked."""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)


class FileLock:
    """An exclusive lock held by one thread of one process at a time (re-entrant in that thread)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._thread_lock = threading.RLock()
        self._fd: int | None = None
        self._depth = 0

    @contextmanager
    def hold(self, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
        """Hold the lock for the block; ``on_wait`` is called once when another process has it
        (to say why we are waiting) before blocking until it is free."""
        with self._thread_lock:
            if self._depth == 0:
                self._acquire(on_wait)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._release()

    def _acquire(self, on_wait: Callable[[], None] | None) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if on_wait is not None:
                    on_wait()
                fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def _release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


@contextmanager
def video_lock(
    path: Path, video: str = "", say: Callable[[str], None] | None = None
) -> Iterator[None]:
    """One builder per video and data dir at a time (``path``: its lock file): a second process
    indexing the same video waits here (saying so through ``say``, else as a logged warning), then
    finds the work done."""

    def waiting() -> None:
        text = f"waiting for another process indexing {video or path.stem.lstrip('.')}"
        if say is None:
            log.warning("%s", text)
        else:  # shown by the caller's progress display; logged once, quietly
            log.info("%s", text)
            say(text)

    with FileLock(path).hold(on_wait=waiting):
        yield
