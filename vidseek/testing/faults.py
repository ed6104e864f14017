"""Fault injection for tests of the engines: a progress sink that kills the process it runs in
the first time a stage event arrives (a worker dying mid-video), once across all processes."""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from pathlib import Path

from vidseek.progress import ProgressEvent


@dataclass(frozen=True)
class KillOnce:
    """SIGKILLs its own process on the first ``kind`` event of ``task``; the ``flag`` file, made
    atomically, records the victim (pid and scope) and keeps every later run alive."""

    flag: Path
    task: str
    kind: str = "start"

    def __call__(self, event: ProgressEvent) -> None:
        if event.task != self.task or event.kind != self.kind:
            return
        try:
            fd = os.open(self.flag, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return
        with os.fdopen(fd, "w") as fh:
            fh.write(f"{os.getpid()}\n{event.scope}\n")
        os.kill(os.getpid(), signal.SIGKILL)
