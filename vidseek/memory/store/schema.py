"""The SQLite schema of the segment database and the conversions between its rows and the
memory types."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict
from pathlib import Path
from typing import Any

from vidseek.media.types import VideoInfo
from vidseek.memory.store.records import StageRecord, VectorSpace, VideoRecord
from vidseek.memory.types import DetectionRow, Segment, TimedText

SCHEMA_VERSION = 3  # 2: video_paths (every known path of a video, by its exact bytes)
# 3: timed_text.unsure (a JSON list of the words the recognizer was unsure of)

SCHEMA = """
CREATE TABLE IF NOT EXISTS videos (
    video_id TEXT PRIMARY KEY, path TEXT NOT NULL, duration_s REAL, fps REAL, width INTEGER,
    height INTEGER, has_audio INTEGER, info TEXT NOT NULL, indexed_at REAL,
    models TEXT NOT NULL DEFAULT '{}', digests TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS videos_path ON videos(path);
CREATE TABLE IF NOT EXISTS video_paths (
    path BLOB PRIMARY KEY, video_id TEXT NOT NULL, shown TEXT NOT NULL, added_at REAL
);
CREATE INDEX IF NOT EXISTS video_paths_v ON video_paths(video_id);
CREATE TABLE IF NOT EXISTS segments (
    id TEXT PRIMARY KEY, video_id TEXT NOT NULL, granularity TEXT NOT NULL, idx INTEGER NOT NULL,
    start_s REAL NOT NULL, end_s REAL NOT NULL, parent_id TEXT, text TEXT NOT NULL DEFAULT '',
    fields TEXT NOT NULL DEFAULT '{}', models TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS segments_vgt ON segments(video_id, granularity, start_s);
CREATE TABLE IF NOT EXISTS timed_text (
    id TEXT PRIMARY KEY, video_id TEXT NOT NULL, kind TEXT NOT NULL, start_s REAL NOT NULL,
    end_s REAL NOT NULL, text TEXT NOT NULL, unsure TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS timed_text_vkt ON timed_text(video_id, kind, start_s);
CREATE TABLE IF NOT EXISTS detections (
    id TEXT PRIMARY KEY, video_id TEXT NOT NULL, time_s REAL NOT NULL, label TEXT NOT NULL,
    confidence REAL NOT NULL, x1 REAL, y1 REAL, x2 REAL, y2 REAL, track_id INTEGER
);
CREATE INDEX IF NOT EXISTS detections_vlt ON detections(video_id, label, time_s);
CREATE INDEX IF NOT EXISTS detections_vt ON detections(video_id, time_s);
CREATE TABLE IF NOT EXISTS subjects (
    id TEXT PRIMARY KEY, video_id TEXT NOT NULL, name TEXT NOT NULL, data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS subjects_v ON subjects(video_id);
CREATE TABLE IF NOT EXISTS stages (
    video_id TEXT NOT NULL, stage TEXT NOT NULL, digest TEXT NOT NULL, status TEXT NOT NULL,
    finished_at REAL, detail TEXT NOT NULL DEFAULT '{}', PRIMARY KEY (video_id, stage)
);
CREATE TABLE IF NOT EXISTS vector_spaces (
    video_id TEXT NOT NULL, space TEXT NOT NULL, model_ref TEXT NOT NULL, dim INTEGER NOT NULL,
    collection TEXT NOT NULL, PRIMARY KEY (video_id, space)
);
"""

# tables holding rows of one video (``video_id`` column), children before ``videos``
VIDEO_TABLES = (
    "segments",
    "timed_text",
    "detections",
    "subjects",
    "stages",
    "vector_spaces",
    "video_paths",
    "videos",
)


def info_to_json(info: VideoInfo) -> str:
    data = asdict(info)
    data["path"] = str(info.path)
    data["keyframes_s"] = list(info.keyframes_s)
    return json.dumps(data)


def info_from_json(text: str) -> VideoInfo:
    data = json.loads(text)
    data["path"] = Path(data["path"])
    data["keyframes_s"] = tuple(data.get("keyframes_s") or ())
    return VideoInfo(**data)


def video_from_row(row: sqlite3.Row) -> VideoRecord:
    return VideoRecord(
        info=info_from_json(row["info"]),
        indexed_at=row["indexed_at"],
        models=json.loads(row["models"]),
        digests=json.loads(row["digests"]),
    )


def segment_to_row(s: Segment) -> tuple[Any, ...]:
    return (
        s.id,
        s.video_id,
        s.granularity,
        int(s.index),
        float(s.start_s),
        float(s.end_s),
        s.parent_id,
        s.text or "",
        json.dumps(s.fields, default=str),
        json.dumps(s.models),
    )


def segment_from_row(row: sqlite3.Row) -> Segment:
    return Segment(
        id=row["id"],
        video_id=row["video_id"],
        granularity=row["granularity"],
        start_s=row["start_s"],
        end_s=row["end_s"],
        index=row["idx"],
        parent_id=row["parent_id"],
        text=row["text"],
        fields=json.loads(row["fields"]),
        models=json.loads(row["models"]),
    )


def add_missing_columns(db: sqlite3.Connection) -> None:
    """Columns added after a table was first made (``CREATE TABLE IF NOT EXISTS`` leaves an
    older database's table as it was); their defaults read as "nothing known"."""
    have = {r[1] for r in db.execute("PRAGMA table_info(timed_text)")}
    if "unsure" not in have:
        db.execute("ALTER TABLE timed_text ADD COLUMN unsure TEXT NOT NULL DEFAULT '[]'")


def timed_text_from_row(r: sqlite3.Row) -> TimedText:
    return TimedText(
        r["id"],
        r["video_id"],
        r["start_s"],
        r["end_s"],
        r["text"],
        r["kind"],
        unsure=tuple(json.loads(r["unsure"] or "[]")),
    )


def detection_from_row(r: sqlite3.Row) -> DetectionRow:
    return DetectionRow(
        r["video_id"],
        r["time_s"],
        r["label"],
        r["confidence"],
        (r["x1"], r["y1"], r["x2"], r["y2"]),
        r["track_id"],
    )


def stage_from_row(r: sqlite3.Row) -> StageRecord:
    return StageRecord(
        r["video_id"],
        r["stage"],
        r["digest"],
        r["status"],
        r["finished_at"],
        json.loads(r["detail"]),
    )


def space_from_row(r: sqlite3.Row) -> VectorSpace:
    return VectorSpace(r["video_id"], r["space"], r["model_ref"], r["dim"], r["collection"])


def overlap_sql(
    start_col: str, end_col: str, time_range: tuple[float, float] | None
) -> tuple[str, list[Any]]:
    """SQL (and its parameters) keeping items whose span overlaps ``time_range``."""
    if time_range is None:
        return "", []
    a, b = float(time_range[0]), float(time_range[1])
    if b < a:
        raise ValueError(f"time_range [{a}, {b}] is reversed; give start_s <= end_s")
    # half-open spans overlapping [a, b]; a zero-length item (a frame time) counts when a <= t < b
    return f" AND {start_col} < ? AND ({end_col} > ? OR {start_col} >= ?)", [b, a, a]


def marks(n: int) -> str:
    """``?,?,?`` for an ``IN (...)`` of ``n`` values."""
    return ",".join("?" * n)
