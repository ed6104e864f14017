"""Named points in long work where a crash test may SIGKILL this very process.

A crash test sets ``VIDSEEK_TEST_KILL_AT=NAME:N`` and the process kills itself with SIGKILL the
``N``-th time it reaches the point ``NAME`` (so a kill lands at an exact, repeatable place of a
stage, which a timer cannot promise on a busy machine); ``VIDSEEK_TEST_KILL_LOG=FILE`` appends
every point reached to ``FILE``, one name a line, so a test can learn which points a run passes.
Without either variable ``reached`` returns at once and does nothing.

Points: ``<task>.<start|advance|finish|message>`` for every progress event (index stages, the
scenario runner), ``agent.<event kind>`` for every agent event (``agent.tool_end`` ...) and a few
points inside the write stage between the SQLite part and the vector part (``write.*``).
A leaf module: anyone may import it.
"""

from __future__ import annotations

import os
import signal
import threading

KILL_AT_ENV = "VIDSEEK_TEST_KILL_AT"
LOG_ENV = "VIDSEEK_TEST_KILL_LOG"

_counts: dict[str, int] = {}
_lock = threading.Lock()


def _target(spec: str) -> tuple[str, int] | None:
    name, _, n = spec.rpartition(":")
    return (name, int(n)) if name and n.isdigit() and int(n) > 0 else None


def reached(name: str) -> None:
    """Pass the point ``name``: log it when asked, and die here when it is the chosen one."""
    spec = os.environ.get(KILL_AT_ENV)
    log_path = os.environ.get(LOG_ENV)
    if not spec and not log_path:
        return
    with _lock:
        count = _counts[name] = _counts.get(name, 0) + 1
        if log_path:
            fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, f"{name}\n".encode())
            finally:
                os.close(fd)
        target = _target(spec) if spec else None
        if target is not None and target == (name, count):
            os.kill(os.getpid(), signal.SIGKILL)
