"""Which files an index belongs to: the ``video_paths`` table.

An index is content-addressed (``video_id``), so byte-identical copies share one index; each
copy that was indexed is one row here, keyed by the exact bytes of its resolved path (a Latin-1
name round-trips). ``videos.path`` and the stored ``VideoInfo.path`` name the one copy frames are
decoded from; forgetting that copy moves them to another known one.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from vidseek.pathnames import path_from_key, path_key, printable

Query = Callable[[str, Sequence[Any]], list[Any]]  # ``MetadataStore.rows`` or a transaction's


def in_transaction(db: sqlite3.Connection) -> Query:
    """Reads inside an open write transaction."""
    return lambda sql, params: db.execute(sql, params).fetchall()


def resolved(path: str | Path) -> Path:
    """The absolute, symlink-free form under which a path is recorded."""
    return Path(path).expanduser().resolve()


def record_path(db: sqlite3.Connection, video_id: str, path: str | Path) -> None:
    """``path`` holds ``video_id`` now (a path re-indexed with new content moves to it)."""
    p = resolved(path)
    db.execute(
        "INSERT INTO video_paths (path, video_id, shown, added_at) VALUES (?,?,?,?)"
        " ON CONFLICT(path) DO UPDATE SET video_id=excluded.video_id, shown=excluded.shown",
        (path_key(p), video_id, printable(p), time.time()),
    )


def paths_of(rows: Query, video_id: str) -> list[Path]:
    """Every known path of one video, oldest first."""
    found = rows(
        "SELECT path FROM video_paths WHERE video_id=? ORDER BY added_at, path", (video_id,)
    )
    return [path_from_key(r[0]) for r in found]


def video_at(rows: Query, path: str | Path) -> str | None:
    """The video id recorded for ``path`` (resolved), or None."""
    found = rows("SELECT video_id FROM video_paths WHERE path=?", (path_key(resolved(path)),))
    return found[0][0] if found else None


def forget_path(db: sqlite3.Connection, video_id: str, path: str | Path) -> list[Path]:
    """Drop the association of ``path`` with ``video_id``; the paths that remain. When the
    video was decoded from ``path``, it is decoded from the newest remaining path afterwards."""
    p = resolved(path)
    db.execute("DELETE FROM video_paths WHERE path=? AND video_id=?", (path_key(p), video_id))
    left = paths_of(in_transaction(db), video_id)
    row = db.execute("SELECT info FROM videos WHERE video_id=?", (video_id,)).fetchone()
    if row is None or not left:
        return left
    info = json.loads(row[0])
    if resolved(info["path"]) == p:
        info["path"] = str(left[-1])
        db.execute(
            "UPDATE videos SET path=?, info=? WHERE video_id=?",
            (printable(left[-1]), json.dumps(info), video_id),
        )
    return left


def backfill(db: sqlite3.Connection) -> int:
    """Record the path of every video indexed before ``video_paths`` existed (schema 1)."""
    rows = db.execute(
        "SELECT video_id, path FROM videos WHERE video_id NOT IN (SELECT video_id FROM video_paths)"
    ).fetchall()
    for video_id, path in rows:
        db.execute(
            "INSERT OR IGNORE INTO video_paths (path, video_id, shown, added_at) VALUES (?,?,?,?)",
            (path_key(path), video_id, printable(path), time.time()),
        )
    return len(rows)
