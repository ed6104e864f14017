"""Chat sessions: LangGraph threads stored by the SQLite checkpointer in ``<data_dir>``, so a
conversation about a video survives the process and follow-up questions see earlier turns."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vidseek.config import Settings

SESSIONS_FILE = "sessions.sqlite"


def sessions_path(settings: Settings) -> Path:
    return Path(settings.data_dir) / SESSIONS_FILE


def open_checkpointer(settings: Settings) -> Any:
    """A SqliteSaver on ``<data_dir>/sessions.sqlite`` (its connection closes with ``.conn``)."""
    from langgraph.checkpoint.sqlite import SqliteSaver

    path = sessions_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30.0)
    saver = SqliteSaver(conn)
    saver.setup()
    return saver


def new_thread_id(video_id: str) -> str:
    """Thread ids start with the video id, so a thread is always about one video."""
    return f"{video_id[:16]}-{uuid.uuid4().hex[:8]}"


def list_threads(settings: Settings, video_id: str | None = None) -> list[str]:
    """Thread ids stored in the sessions database (optionally only those of one video)."""
    path = sessions_path(settings)
    if not path.is_file():
        return []
    with sqlite3.connect(str(path)) as conn:
        try:
            rows = conn.execute("SELECT DISTINCT thread_id FROM checkpoints").fetchall()
        except sqlite3.OperationalError:
            return []
    ids = sorted(str(r[0]) for r in rows)
    return [t for t in ids if video_id is None or t.startswith(video_id[:16])]
