"""The SQLite part of the segment database: videos, segments, speech and screen text, detections,
subjects, the builder's stage records and which vector collection holds each video's vectors.

Every write goes through ``MetadataStore.write()`` (one short ``BEGIN IMMEDIATE`` transaction under
one thread lock) and every read through ``rows()``. Several processes may write one file at once
(``vidseek index`` processes, Ray workers, ``vidseek serve`` reading): WAL mode, and a write waits
for the write lock instead of failing (see ``vidseek.memory.store.sqlite``).
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from vidseek.errors import IndexError_
from vidseek.media.types import VideoInfo
from vidseek.memory.store import paths as video_paths
from vidseek.memory.store import sqlite
from vidseek.memory.store.records import (
    Space,
    StageRecord,
    TextKind,
    VectorSpace,
    VideoRecord,
    detection_id,
)
from vidseek.memory.store.schema import (
    SCHEMA,
    SCHEMA_VERSION,
    VIDEO_TABLES,
    add_missing_columns,
    detection_from_row,
    info_to_json,
    marks,
    overlap_sql,
    segment_from_row,
    segment_to_row,
    space_from_row,
    stage_from_row,
    timed_text_from_row,
    video_from_row,
)
from vidseek.memory.types import DetectionRow, Segment, TimedText
from vidseek.pathnames import is_text, printable

_CHUNK = 500  # ids per ``IN (...)``: well under SQLite's variable limit


def _create_schema(db: sqlite3.Connection) -> None:
    db.executescript(SCHEMA)
    add_missing_columns(db)
    video_paths.backfill(db)
    if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")


class MetadataStore:
    """One SQLite file in WAL mode; thread-safe for the parallel tool calls of one process."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        try:
            self._db = sqlite.connect(self.path, _create_schema)
        except (sqlite3.OperationalError, OSError) as exc:  # OSError: its lock file
            raise IndexError_(f"{self.path}: cannot open the database: {exc}") from exc
        except sqlite3.DatabaseError as exc:
            raise IndexError_(f"{self.path}: not a usable vidseek database: {exc}") from exc

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed when the block ends, rolled back when it raises."""
        with self._lock, sqlite.immediate(self._db, str(self.path)) as db:
            yield db

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return sqlite.retry_busy(
                lambda: self._db.execute(sql, params).fetchall(), str(self.path)
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- videos -----------------------------------------------------------------------------

    def upsert_video(
        self,
        info: VideoInfo,
        models: dict[str, str] | None = None,
        digests: dict[str, str] | None = None,
    ) -> None:
        """Insert or update a video; ``models``/``digests`` are merged into what is stored."""
        with self.write() as db:
            row = db.execute(
                "SELECT models, digests FROM videos WHERE video_id=?", (info.video_id,)
            ).fetchone()
            old_models = json.loads(row["models"]) if row else {}
            old_digests = json.loads(row["digests"]) if row else {}
            db.execute(
                "INSERT INTO videos (video_id, path, duration_s, fps, width, height, has_audio, info,"
                " models, digests) VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT(video_id) DO UPDATE SET"
                " path=excluded.path, duration_s=excluded.duration_s, fps=excluded.fps,"
                " width=excluded.width, height=excluded.height, has_audio=excluded.has_audio,"
                " info=excluded.info, models=excluded.models, digests=excluded.digests",
                (
                    info.video_id,
                    printable(video_paths.resolved(info.path)),
                    info.duration_s,
                    info.fps,
                    info.width,
                    info.height,
                    int(info.has_audio),
                    info_to_json(info),
                    json.dumps({**old_models, **(models or {})}),
                    json.dumps({**old_digests, **(digests or {})}),
                ),
            )
            video_paths.record_path(db, info.video_id, info.path)

    def mark_indexed(self, video_id: str, models: dict[str, str] | None = None) -> None:
        """Record that indexing finished (and which models were used)."""
        with self.write() as db:
            row = db.execute("SELECT models FROM videos WHERE video_id=?", (video_id,)).fetchone()
            if row is None:
                raise IndexError_(f"video {video_id}: not in the database; upsert_video first")
            merged = {**json.loads(row["models"]), **(models or {})}
            db.execute(
                "UPDATE videos SET indexed_at=?, models=? WHERE video_id=?",
                (time.time(), json.dumps(merged), video_id),
            )

    def get_video(self, video_id: str) -> VideoRecord | None:
        rows = self.rows("SELECT * FROM videos WHERE video_id=?", (video_id,))
        return video_from_row(rows[0]) if rows else None

    def find_video(self, video: str | Path) -> VideoRecord | None:
        """By video id, by a known path of the file (exact bytes, resolved), or by a unique id
        prefix (>= 8 chars)."""
        key = str(video)
        rec = self.get_video(key) if is_text(key) else None  # an id is text; a path may not be
        if rec is not None:
            return rec
        vid = video_paths.video_at(self.rows, key)
        if vid is not None and (rec := self.get_video(vid)) is not None:
            return rec
        if len(key) >= 8 and re.fullmatch(r"[0-9a-f]+", key):
            rows = self.rows("SELECT * FROM videos WHERE video_id LIKE ?", (key + "%",))
            if len(rows) == 1:
                return video_from_row(rows[0])
        return None

    def paths(self, video_id: str) -> list[Path]:
        """Every known path of a video (byte-identical copies share one index), oldest first."""
        return video_paths.paths_of(self.rows, video_id)

    def forget_path(self, video_id: str, path: str | Path) -> list[Path]:
        """Drop one path of a video, keeping its index; the paths that remain."""
        with self.write() as db:
            return video_paths.forget_path(db, video_id, path)

    def list_videos(self) -> list[VideoRecord]:
        return [video_from_row(r) for r in self.rows("SELECT * FROM videos ORDER BY path")]

    # --- segments ---------------------------------------------------------------------------

    def upsert_segments(self, segments: Sequence[Segment]) -> None:
        """Insert or replace segments by id (idempotent)."""
        with self.write() as db:
            db.executemany(
                "INSERT OR REPLACE INTO segments (id, video_id, granularity, idx, start_s, end_s,"
                " parent_id, text, fields, models) VALUES (?,?,?,?,?,?,?,?,?,?)",
                [segment_to_row(s) for s in segments],
            )

    def get_segments(
        self,
        video_id: str,
        granularity: str | None = None,
        time_range: tuple[float, float] | None = None,
    ) -> list[Segment]:
        sql = "SELECT * FROM segments WHERE video_id=?"
        params: list[Any] = [video_id]
        if granularity is not None:
            sql += " AND granularity=?"
            params.append(granularity)
        extra, more = overlap_sql("start_s", "end_s", time_range)
        rows = self.rows(sql + extra + " ORDER BY start_s, idx", params + more)
        return [segment_from_row(r) for r in rows]

    def get_segment(self, segment_id: str) -> Segment | None:
        rows = self.rows("SELECT * FROM segments WHERE id=?", (segment_id,))
        return segment_from_row(rows[0]) if rows else None

    def get_segments_by_ids(self, ids: Sequence[str]) -> dict[str, Segment]:
        out: dict[str, Segment] = {}
        ids = list(ids)
        for i in range(0, len(ids), _CHUNK):
            chunk = ids[i : i + _CHUNK]
            for r in self.rows(f"SELECT * FROM segments WHERE id IN ({marks(len(chunk))})", chunk):
                out[r["id"]] = segment_from_row(r)
        return out

    def count_segments(self, video_id: str) -> dict[str, int]:
        """Granularity -> number of segments."""
        rows = self.rows(
            "SELECT granularity, COUNT(*) AS n FROM segments WHERE video_id=? GROUP BY granularity",
            (video_id,),
        )
        return {r["granularity"]: r["n"] for r in rows}

    # --- timed text (speech, screen text) ---------------------------------------------------

    def upsert_timed_text(self, rows: Sequence[TimedText]) -> None:
        with self.write() as db:
            db.executemany(
                "INSERT OR REPLACE INTO timed_text"
                " (id, video_id, kind, start_s, end_s, text, unsure) VALUES (?,?,?,?,?,?,?)",
                [
                    (
                        t.id,
                        t.video_id,
                        t.kind,
                        float(t.start_s),
                        float(t.end_s),
                        t.text,
                        json.dumps(list(t.unsure)),
                    )
                    for t in rows
                ],
            )

    def timed_text(
        self, video_id: str, kind: TextKind, time_range: tuple[float, float] | None = None
    ) -> list[TimedText]:
        extra, more = overlap_sql("start_s", "end_s", time_range)
        rows = self.rows(
            "SELECT * FROM timed_text WHERE video_id=? AND kind=?"
            + extra
            + " ORDER BY start_s, id",
            [video_id, kind, *more],
        )
        return [timed_text_from_row(r) for r in rows]

    def count_timed_text(self, video_id: str) -> dict[str, int]:
        rows = self.rows(
            "SELECT kind, COUNT(*) AS n FROM timed_text WHERE video_id=? GROUP BY kind", (video_id,)
        )
        return {r["kind"]: r["n"] for r in rows}

    # --- detections -------------------------------------------------------------------------

    def upsert_detections(self, video_id: str, detections: Sequence[Any]) -> None:
        """Store detections (``vidseek.models.base.Detection`` or ``DetectionRow``) idempotently.

        The id is (video, time in ms, ordinal within that frame in the given order), so writing the
        same frames again replaces them instead of adding copies."""
        ordinals: dict[int, int] = {}
        rows = []
        for d in detections:
            ms = round(float(d.time_s) * 1000)
            k = ordinals.get(ms, 0)
            ordinals[ms] = k + 1
            x1, y1, x2, y2 = (float(v) for v in d.box)
            rows.append(
                (
                    detection_id(video_id, d.time_s, k),
                    video_id,
                    float(d.time_s),
                    d.label,
                    float(d.confidence),
                    x1,
                    y1,
                    x2,
                    y2,
                    d.track_id,
                )
            )
        with self.write() as db:
            # frames written again may hold fewer objects than before: clear those frames first
            db.executemany(
                "DELETE FROM detections WHERE video_id=? AND id LIKE ?",
                [(video_id, f"{video_id}:det:{ms:010d}:%") for ms in ordinals],
            )
            db.executemany(
                "INSERT OR REPLACE INTO detections (id, video_id, time_s, label, confidence,"
                " x1, y1, x2, y2, track_id) VALUES (?,?,?,?,?,?,?,?,?,?)",
                rows,
            )

    def detections(
        self,
        video_id: str,
        label: str | None = None,
        time_range: tuple[float, float] | None = None,
        min_conf: float | None = None,
    ) -> list[DetectionRow]:
        sql = "SELECT * FROM detections WHERE video_id=?"
        params: list[Any] = [video_id]
        if label is not None:
            sql += " AND label=?"
            params.append(label)
        if time_range is not None:
            sql += " AND time_s >= ? AND time_s < ?"
            params += [float(time_range[0]), float(time_range[1])]
        if min_conf is not None:
            sql += " AND confidence >= ?"
            params.append(float(min_conf))
        return [detection_from_row(r) for r in self.rows(sql + " ORDER BY time_s, id", params)]

    def labels(self, video_id: str, min_conf: float | None = None) -> dict[str, int]:
        """Label -> number of sampled frames showing it."""
        sql = "SELECT label, COUNT(DISTINCT time_s) AS n FROM detections WHERE video_id=?"
        params: list[Any] = [video_id]
        if min_conf is not None:
            sql += " AND confidence >= ?"
            params.append(float(min_conf))
        rows = self.rows(sql + " GROUP BY label ORDER BY n DESC, label", params)
        return {r["label"]: r["n"] for r in rows}

    # --- subjects ---------------------------------------------------------------------------

    def upsert_subjects(self, video_id: str, subjects: Sequence[dict[str, Any]]) -> None:
        """Subjects of the registry: dicts with at least ``name``; ``id`` defaults to video:name."""
        rows = []
        for s in subjects:
            if not s.get("name"):
                raise ValueError(f"subject without a name: {s!r}")
            sid = s.get("id") or f"{video_id}:subject:{s['name'].strip().lower()}"
            rows.append((sid, video_id, s["name"], json.dumps({**s, "id": sid}, default=str)))
        with self.write() as db:
            db.executemany(
                "INSERT OR REPLACE INTO subjects (id, video_id, name, data) VALUES (?,?,?,?)", rows
            )

    def subjects(self, video_id: str) -> list[dict[str, Any]]:
        rows = self.rows("SELECT data FROM subjects WHERE video_id=? ORDER BY name", (video_id,))
        return [json.loads(r["data"]) for r in rows]

    # --- stages (the builder's cache) -------------------------------------------------------

    def set_stage(
        self,
        video_id: str,
        stage: str,
        digest: str,
        status: str,
        detail: dict[str, Any] | None = None,
    ) -> None:
        with self.write() as db:
            db.execute(
                "INSERT OR REPLACE INTO stages (video_id, stage, digest, status, finished_at, detail)"
                " VALUES (?,?,?,?,?,?)",
                (
                    video_id,
                    stage,
                    digest,
                    status,
                    time.time() if status == "done" else None,
                    json.dumps(detail or {}, default=str),
                ),
            )

    def get_stage(self, video_id: str, stage: str) -> StageRecord | None:
        rows = self.rows("SELECT * FROM stages WHERE video_id=? AND stage=?", (video_id, stage))
        return stage_from_row(rows[0]) if rows else None

    def stages(self, video_id: str) -> list[StageRecord]:
        rows = self.rows("SELECT * FROM stages WHERE video_id=? ORDER BY rowid", (video_id,))
        return [stage_from_row(r) for r in rows]

    def stage_done(self, video_id: str, stage: str, digest: str) -> bool:
        rec = self.get_stage(video_id, stage)
        return rec is not None and rec.status == "done" and rec.digest == digest

    # --- vector spaces ----------------------------------------------------------------------

    def vector_spaces(self, video_id: str) -> dict[str, VectorSpace]:
        rows = self.rows("SELECT * FROM vector_spaces WHERE video_id=?", (video_id,))
        return {r["space"]: space_from_row(r) for r in rows}

    def set_vector_space(self, vs: VectorSpace) -> None:
        with self.write() as db:
            db.execute(
                "INSERT OR REPLACE INTO vector_spaces (video_id, space, model_ref, dim, collection)"
                " VALUES (?,?,?,?,?)",
                (vs.video_id, vs.space, vs.model_ref, vs.dim, vs.collection),
            )

    # --- removal ----------------------------------------------------------------------------

    def delete_rows(
        self,
        video_id: str,
        segment_ids: Sequence[str] = (),
        timed_text_ids: Sequence[str] = (),
        detections: bool = False,
        spaces: Sequence[Space] = (),
    ) -> dict[str, list[str]]:
        """Delete some rows of one video in one transaction; returns the ids of the deleted
        timed text by kind (their vectors live in the space of that name)."""
        deleted: dict[str, list[str]] = {}
        with self.write() as db:
            for i in range(0, len(segment_ids), _CHUNK):
                chunk = list(segment_ids[i : i + _CHUNK])
                db.execute(f"DELETE FROM segments WHERE id IN ({marks(len(chunk))})", chunk)
            for i in range(0, len(timed_text_ids), _CHUNK):
                chunk = list(timed_text_ids[i : i + _CHUNK])
                found = db.execute(
                    f"SELECT id, kind FROM timed_text WHERE id IN ({marks(len(chunk))})", chunk
                ).fetchall()
                for r in found:
                    deleted.setdefault(r["kind"], []).append(r["id"])
                db.execute(f"DELETE FROM timed_text WHERE id IN ({marks(len(chunk))})", chunk)
            if detections:
                db.execute("DELETE FROM detections WHERE video_id=?", (video_id,))
            for space in spaces:
                db.execute(
                    "DELETE FROM vector_spaces WHERE video_id=? AND space=?", (video_id, space)
                )
        return deleted

    def remove_video(self, video_id: str) -> int:
        """Delete every row of one video; the number of rows deleted."""
        n = 0
        with self.write() as db:
            for table in VIDEO_TABLES:
                n += db.execute(f"DELETE FROM {table} WHERE video_id=?", (video_id,)).rowcount
        return n
