"""Chat threads as people see them: which video, which policy and planner, a title, when. The
turns themselves stay in the agent's SQLite checkpointer (``sessions.sqlite``); this table in
``<data_dir>/threads.sqlite`` only adds what a thread list needs."""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from pathlib import Path

from vidseek.config import Settings
from vidseek.service.errors import InputError, NotFoundError
from vidseek.service.types import ThreadInfo

THREAD_ID = re.compile(r"[0-9a-f]{1,16}-[0-9a-f]{8}")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS threads (
    thread_id TEXT PRIMARY KEY, video_id TEXT NOT NULL, title TEXT NOT NULL DEFAULT '',
    policy TEXT NOT NULL, planner TEXT NOT NULL, created_at REAL NOT NULL,
    updated_at REAL NOT NULL, turns INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS threads_video ON threads(video_id, updated_at);
"""


def check_thread_id(thread_id: str) -> str:
    if not isinstance(thread_id, str) or not THREAD_ID.fullmatch(thread_id):
        raise InputError(f"{thread_id!r}: not a thread id (like 0123abcd0123abcd-89abcdef)")
    return thread_id


class ThreadStore:
    """Thread metadata; one connection shared by the server's threads behind a lock."""

    def __init__(self, settings: Settings) -> None:
        path = Path(settings.data_dir) / "threads.sqlite"
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=30.0)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
            self._db.commit()

    def create(self, thread_id: str, video_id: str, policy: str, planner: str) -> ThreadInfo:
        now = time.time()
        with self._lock:
            self._db.execute(
                "INSERT INTO threads (thread_id, video_id, policy, planner, created_at, updated_at)"
                " VALUES (?,?,?,?,?,?)",
                (thread_id, video_id, policy, planner, now, now),
            )
            self._db.commit()
        return self.get(thread_id)

    def get(self, thread_id: str) -> ThreadInfo:
        check_thread_id(thread_id)
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM threads WHERE thread_id=?", (thread_id,)
            ).fetchone()
        if row is None:
            raise NotFoundError(f"{thread_id}: no such thread")
        return ThreadInfo(**dict(row))

    def touch(self, thread_id: str, question: str) -> None:
        """Count a turn; the first question becomes the title."""
        title = " ".join(question.split())[:80]
        with self._lock:
            self._db.execute(
                "UPDATE threads SET turns=turns+1, updated_at=?, "
                "title=CASE WHEN title='' THEN ? ELSE title END WHERE thread_id=?",
                (time.time(), title, thread_id),
            )
            self._db.commit()

    def list(self, video_id: str | None = None) -> list[ThreadInfo]:
        sql, args = "SELECT * FROM threads", ()
        if video_id:
            sql, args = sql + " WHERE video_id=?", (video_id,)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY updated_at DESC", args).fetchall()
        return [ThreadInfo(**dict(r)) for r in rows]

    def delete_video(self, video_id: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM threads WHERE video_id=?", (video_id,))
            self._db.commit()

    def close(self) -> None:
        with self._lock:
            self._db.close()
