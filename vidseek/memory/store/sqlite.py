"""SQLite connections that several processes may write at once without "database is locked".

The file is in WAL mode (readers never block the writer nor each other). Every write transaction
starts with ``BEGIN IMMEDIATE``: it takes the write lock first, so it waits in SQLite's busy
handler instead of failing half-way when it upgrades from reading to writing (a deferred
transaction that read before another process committed gets SQLITE_BUSY at once, whatever the
timeout). Write transactions are short, so a waiter gets its turn; if one still waits longer than
the busy timeout we log it and keep waiting rather than hand the error to the user. Setting up a
new file (WAL switch, schema) happens under a cross-process file lock.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from vidseek.memory.store.locks import FileLock

log = logging.getLogger(__name__)

T = TypeVar("T")

BUSY_TIMEOUT_S = 30.0  # SQLite's own wait for a lock, per attempt
MAX_WAIT_S = 600.0  # then we go on waiting, saying so, up to this long in all


def is_busy(exc: BaseException) -> bool:
    """Whether an error is SQLite saying another connection holds a lock."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def retry_busy(fn: Callable[[], T], what: str, max_wait_s: float = MAX_WAIT_S) -> T:
    """Run ``fn``, again while another process holds the database lock (up to ``max_wait_s``)."""
    t0 = time.monotonic()
    delay = 0.05
    while True:
        try:
            return fn()
        except sqlite3.OperationalError as exc:
            waited = time.monotonic() - t0
            if not is_busy(exc) or waited > max_wait_s:
                raise
            log.warning("%s: the database is busy (another process writes); waiting", what)
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


def connect(path: Path, setup: Callable[[sqlite3.Connection], None]) -> sqlite3.Connection:
    """Open ``path`` in WAL mode and autocommit (transactions are explicit, see ``immediate``);
    ``setup`` (schema creation) runs once per open under a cross-process lock."""
    db = sqlite3.connect(
        path, check_same_thread=False, timeout=BUSY_TIMEOUT_S, isolation_level=None
    )
    db.row_factory = sqlite3.Row

    def init() -> None:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        setup(db)

    try:
        with FileLock(path.with_name(path.name + ".lock")).hold():
            retry_busy(init, str(path))
    except BaseException:
        db.close()
        raise
    return db


@contextmanager
def immediate(db: sqlite3.Connection, what: str) -> Iterator[sqlite3.Connection]:
    """One write transaction that holds the write lock from its first statement: committed when
    the block ends, rolled back when it raises."""
    retry_busy(lambda: db.execute("BEGIN IMMEDIATE"), what)
    try:
        yield db
    except BaseException:
        if db.in_transaction:  # SQLite may have rolled back already (a full disk, say)
            db.execute("ROLLBACK")
        raise
    retry_busy(lambda: db.execute("COMMIT"), what)
