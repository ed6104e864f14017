"""The segment database (design.md section 3): chromadb for vectors, SQLite for everything else.

Vectors live in one chroma collection per (embedding space, model): ``segments__<model-slug>``,
``frames__<model-slug>``, ``speech__<model-slug>``, ``screen_text__<model-slug>``. Naming collections
by model keeps dimensions and meanings apart when two videos (or two index runs) used different
embedders; the ``vector_spaces`` table records which collection holds each video's vectors of each
space, so search always queries the space the video was indexed in. Every write is an upsert by a
stable id, so re-running an interrupted index never duplicates or loses items. We always pass our
own embeddings: collections are opened with ``embedding_function=None`` (chroma's default embedder
would download an ONNX model) and chroma telemetry is off.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from hashlib import sha1
from pathlib import Path
from typing import Any, Literal

import numpy as np

from vidseek.config import Settings
from vidseek.errors import ConfigError, IndexError_
from vidseek.media.types import VideoInfo
from vidseek.memory.types import DetectionRow, Segment, TimedText

log = logging.getLogger(__name__)

Space = Literal["segments", "frames", "speech", "screen_text"]
SPACES: tuple[Space, ...] = ("segments", "frames", "speech", "screen_text")
TextKind = Literal["speech", "screen_text"]
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS videos (
    video_id TEXT PRIMARY KEY, path TEXT NOT NULL, duration_s REAL, fps REAL, width INTEGER,
    height INTEGER, has_audio INTEGER, info TEXT NOT NULL, indexed_at REAL,
    models TEXT NOT NULL DEFAULT '{}', digests TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS videos_path ON videos(path);
CREATE TABLE IF NOT EXISTS segments (
    id TEXT PRIMARY KEY, video_id TEXT NOT NULL, granularity TEXT NOT NULL, idx INTEGER NOT NULL,
    start_s REAL NOT NULL, end_s REAL NOT NULL, parent_id TEXT, text TEXT NOT NULL DEFAULT '',
    fields TEXT NOT NULL DEFAULT '{}', models TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS segments_vgt ON segments(video_id, granularity, start_s);
CREATE TABLE IF NOT EXISTS timed_text (
    id TEXT PRIMARY KEY, video_id TEXT NOT NULL, kind TEXT NOT NULL, start_s REAL NOT NULL,
    end_s REAL NOT NULL, text TEXT NOT NULL
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


def collection_name(space: Space, model_ref: str, dim: int) -> str:
    """Chroma collection of one embedding space and model, e.g. ``segments__all-minilm-l6-v2-384-1a2b3c``.

    Chroma names allow [a-zA-Z0-9._-], 3 to 512 characters, alphanumeric at both ends."""
    tail = model_ref.rstrip("/").split("/")[-1].split(":")[-1].lower()
    slug = re.sub(r"[^a-z0-9]+", "-", tail).strip("-")[:40] or "model"
    return f"{space}__{slug}-{dim}-{sha1(model_ref.encode()).hexdigest()[:6]}"


def frame_id(video_id: str, time_s: float) -> str:
    """Stable id of a frame vector: the time in milliseconds."""
    return f"{video_id}:frame:{round(time_s * 1000):010d}"


def timed_text_id(video_id: str, kind: TextKind, start_s: float, ordinal: int = 0) -> str:
    """Stable id of a speech segment or OCR line (``ordinal`` separates lines of one frame)."""
    return f"{video_id}:{kind}:{round(start_s * 1000):010d}:{ordinal}"


def segment_id(video_id: str, granularity: str, index: int) -> str:
    """The id format of ``Segment.id``."""
    return f"{video_id}:{granularity}:{index:06d}"


@dataclass
class VideoRecord:
    """One row of ``videos``: the probe result plus what indexed it."""

    info: VideoInfo
    indexed_at: float | None = None  # set by ``mark_indexed`` when every stage finished
    models: dict[str, str] = field(default_factory=dict)  # role -> model ref
    digests: dict[str, str] = field(default_factory=dict)  # settings digests of the stages

    @property
    def video_id(self) -> str:
        return self.info.video_id


@dataclass
class StageRecord:
    video_id: str
    stage: str
    digest: str
    status: str  # "running" | "done" | "failed"
    finished_at: float | None
    detail: dict[str, Any]


@dataclass
class VectorSpace:
    """Which collection holds a video's vectors of one space, and which model made them."""

    video_id: str
    space: Space
    model_ref: str
    dim: int
    collection: str


@dataclass
class VectorHit:
    id: str
    distance: float  # cosine distance (1 - cosine similarity)
    metadata: dict[str, Any]
    document: str | None = None


def _info_to_json(info: VideoInfo) -> str:
    data = asdict(info)
    data["path"] = str(info.path)
    data["keyframes_s"] = list(info.keyframes_s)
    return json.dumps(data)


def _info_from_json(text: str) -> VideoInfo:
    data = json.loads(text)
    data["path"] = Path(data["path"])
    data["keyframes_s"] = tuple(data.get("keyframes_s") or ())
    return VideoInfo(**data)


def _segment_from_row(row: sqlite3.Row) -> Segment:
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


def _overlap_sql(
    start_col: str, end_col: str, time_range: tuple[float, float] | None
) -> tuple[str, list]:
    if time_range is None:
        return "", []
    a, b = float(time_range[0]), float(time_range[1])
    if b < a:
        raise ValueError(f"time_range [{a}, {b}] is reversed; give start_s <= end_s")
    # half-open spans overlapping [a, b]; a zero-length item (a frame time) counts when a <= t < b
    return f" AND {start_col} < ? AND ({end_col} > ? OR {start_col} >= ?)", [b, a, a]


def chroma_where(**conds: Any) -> dict[str, Any] | None:
    """A chroma ``where`` from equality / operator conditions (chroma wants ``$and`` for two or more)."""
    clauses = [{k: v} for k, v in conds.items() if v is not None]
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


class SegmentStore:
    """The database of all indexed videos: chroma collections + one SQLite file (WAL).

    Thread-safe for the parallel tool calls of one process; use a chroma server
    (``settings.chroma_host``) when several processes write."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.db_dir = settings.db_dir
        self.db_dir.mkdir(parents=True, exist_ok=True)
        self.sqlite_path = self.db_dir / "vidseek.sqlite"
        self._lock = threading.RLock()
        try:
            self._db = sqlite3.connect(self.sqlite_path, check_same_thread=False, timeout=30.0)
        except sqlite3.Error as exc:
            raise IndexError_(f"{self.sqlite_path}: cannot open the database: {exc}") from exc
        self._db.row_factory = sqlite3.Row
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            self._db.commit()
        except sqlite3.DatabaseError as exc:
            raise IndexError_(f"{self.sqlite_path}: not a usable vidseek database: {exc}") from exc
        self._client = self._open_chroma()
        self._collections: dict[str, Any] = {}
        self._max_batch = int(self._client.get_max_batch_size())

    # --- plumbing ---------------------------------------------------------------------------

    def _open_chroma(self) -> Any:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        if self.settings.chroma_host:
            host, _, port = self.settings.chroma_host.partition(":")
            try:
                return chromadb.HttpClient(
                    host=host, port=int(port or 8000), settings=chroma_settings
                )
            except Exception as exc:
                raise ConfigError(
                    f"chroma server {self.settings.chroma_host}: cannot connect ({exc}); "
                    "start it with `chroma run` or unset chroma_host"
                ) from exc
        return chromadb.PersistentClient(path=str(self.db_dir / "chroma"), settings=chroma_settings)

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._db
                self._db.commit()
            except BaseException:
                self._db.rollback()
                raise

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def collection(
        self, name: str, space: Space | None = None, model_ref: str = "", dim: int = 0
    ) -> Any:
        """Open (or create) a collection with NO embedding function, cosine space."""
        col = self._collections.get(name)
        if col is None:
            metadata = {
                "space": space or name.split("__")[0],
                "model_ref": model_ref or "?",
                "dim": dim,
            }
            col = self._client.get_or_create_collection(
                name,
                embedding_function=None,  # never let chroma embed: it would download a model
                configuration={"hnsw": {"space": "cosine"}},
                metadata=metadata,
            )
            self._collections[name] = col
        return col

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def video_dir(self, video_id: str, create: bool = True) -> Path:
        """Per-video artefacts (thumbnails, audio, caches) live here."""
        path = self.settings.videos_dir / video_id
        if create:
            path.mkdir(parents=True, exist_ok=True)
        return path

    # --- videos -----------------------------------------------------------------------------

    def upsert_video(
        self,
        info: VideoInfo,
        models: dict[str, str] | None = None,
        digests: dict[str, str] | None = None,
    ) -> None:
        """Insert or update a video; ``models``/``digests`` are merged into what is stored."""
        with self._tx() as db:
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
                    str(Path(info.path).resolve()),
                    info.duration_s,
                    info.fps,
                    info.width,
                    info.height,
                    int(info.has_audio),
                    _info_to_json(info),
                    json.dumps({**old_models, **(models or {})}),
                    json.dumps({**old_digests, **(digests or {})}),
                ),
            )

    def mark_indexed(self, video_id: str, models: dict[str, str] | None = None) -> None:
        """Record that indexing finished (and which models were used)."""
        with self._tx() as db:
            row = db.execute("SELECT models FROM videos WHERE video_id=?", (video_id,)).fetchone()
            if row is None:
                raise IndexError_(f"video {video_id}: not in the database; upsert_video first")
            merged = {**json.loads(row["models"]), **(models or {})}
            db.execute(
                "UPDATE videos SET indexed_at=?, models=? WHERE video_id=?",
                (time.time(), json.dumps(merged), video_id),
            )

    def _video_from_row(self, row: sqlite3.Row) -> VideoRecord:
        return VideoRecord(
            info=_info_from_json(row["info"]),
            indexed_at=row["indexed_at"],
            models=json.loads(row["models"]),
            digests=json.loads(row["digests"]),
        )

    def get_video(self, video_id: str) -> VideoRecord | None:
        rows = self._rows("SELECT * FROM videos WHERE video_id=?", (video_id,))
        return self._video_from_row(rows[0]) if rows else None

    def find_video(self, video: str | Path) -> VideoRecord | None:
        """By video id, by a unique id prefix (>= 8 chars), or by the file's resolved path."""
        key = str(video)
        rec = self.get_video(key)
        if rec is not None:
            return rec
        rows = self._rows(
            "SELECT * FROM videos WHERE path=? ORDER BY indexed_at DESC",
            (str(Path(key).expanduser().resolve()),),
        )
        if rows:
            return self._video_from_row(rows[0])
        if len(key) >= 8 and re.fullmatch(r"[0-9a-f]+", key):
            rows = self._rows("SELECT * FROM videos WHERE video_id LIKE ?", (key + "%",))
            if len(rows) == 1:
                return self._video_from_row(rows[0])
        return None

    def list_videos(self) -> list[VideoRecord]:
        return [self._video_from_row(r) for r in self._rows("SELECT * FROM videos ORDER BY path")]

    # --- segments ---------------------------------------------------------------------------

    def upsert_segments(self, segments: Sequence[Segment]) -> None:
        """Insert or replace segments by id (idempotent)."""
        rows = [
            (
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
            for s in segments
        ]
        with self._tx() as db:
            db.executemany(
                "INSERT OR REPLACE INTO segments (id, video_id, granularity, idx, start_s, end_s,"
                " parent_id, text, fields, models) VALUES (?,?,?,?,?,?,?,?,?,?)",
                rows,
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
        extra, more = _overlap_sql("start_s", "end_s", time_range)
        rows = self._rows(sql + extra + " ORDER BY start_s, idx", params + more)
        return [_segment_from_row(r) for r in rows]

    def get_segment(self, segment_id: str) -> Segment | None:
        rows = self._rows("SELECT * FROM segments WHERE id=?", (segment_id,))
        return _segment_from_row(rows[0]) if rows else None

    def get_segments_by_ids(self, ids: Sequence[str]) -> dict[str, Segment]:
        out: dict[str, Segment] = {}
        ids = list(ids)
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for r in self._rows(f"SELECT * FROM segments WHERE id IN ({marks})", chunk):
                out[r["id"]] = _segment_from_row(r)
        return out

    def count_segments(self, video_id: str) -> dict[str, int]:
        """Granularity -> number of segments."""
        rows = self._rows(
            "SELECT granularity, COUNT(*) AS n FROM segments WHERE video_id=? GROUP BY granularity",
            (video_id,),
        )
        return {r["granularity"]: r["n"] for r in rows}

    # --- timed text (speech, screen text) ---------------------------------------------------

    def upsert_timed_text(self, rows: Sequence[TimedText]) -> None:
        with self._tx() as db:
            db.executemany(
                "INSERT OR REPLACE INTO timed_text (id, video_id, kind, start_s, end_s, text)"
                " VALUES (?,?,?,?,?,?)",
                [
                    (t.id, t.video_id, t.kind, float(t.start_s), float(t.end_s), t.text)
                    for t in rows
                ],
            )

    def timed_text(
        self, video_id: str, kind: TextKind, time_range: tuple[float, float] | None = None
    ) -> list[TimedText]:
        extra, more = _overlap_sql("start_s", "end_s", time_range)
        rows = self._rows(
            "SELECT * FROM timed_text WHERE video_id=? AND kind=?"
            + extra
            + " ORDER BY start_s, id",
            [video_id, kind, *more],
        )
        return [
            TimedText(r["id"], r["video_id"], r["start_s"], r["end_s"], r["text"], r["kind"])
            for r in rows
        ]

    def count_timed_text(self, video_id: str) -> dict[str, int]:
        rows = self._rows(
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
                    f"{video_id}:det:{ms:010d}:{k}",
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
        with self._tx() as db:
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
        rows = self._rows(sql + " ORDER BY time_s, id", params)
        return [
            DetectionRow(
                r["video_id"],
                r["time_s"],
                r["label"],
                r["confidence"],
                (r["x1"], r["y1"], r["x2"], r["y2"]),
                r["track_id"],
            )
            for r in rows
        ]

    def labels(self, video_id: str, min_conf: float | None = None) -> dict[str, int]:
        """Label -> number of sampled frames showing it."""
        sql = "SELECT label, COUNT(DISTINCT time_s) AS n FROM detections WHERE video_id=?"
        params: list[Any] = [video_id]
        if min_conf is not None:
            sql += " AND confidence >= ?"
            params.append(float(min_conf))
        rows = self._rows(sql + " GROUP BY label ORDER BY n DESC, label", params)
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
        with self._tx() as db:
            db.executemany(
                "INSERT OR REPLACE INTO subjects (id, video_id, name, data) VALUES (?,?,?,?)", rows
            )

    def subjects(self, video_id: str) -> list[dict[str, Any]]:
        rows = self._rows("SELECT data FROM subjects WHERE video_id=? ORDER BY name", (video_id,))
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
        with self._tx() as db:
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
        rows = self._rows("SELECT * FROM stages WHERE video_id=? AND stage=?", (video_id, stage))
        return self._stage_from_row(rows[0]) if rows else None

    def stages(self, video_id: str) -> list[StageRecord]:
        rows = self._rows("SELECT * FROM stages WHERE video_id=? ORDER BY rowid", (video_id,))
        return [self._stage_from_row(r) for r in rows]

    def stage_done(self, video_id: str, stage: str, digest: str) -> bool:
        rec = self.get_stage(video_id, stage)
        return rec is not None and rec.status == "done" and rec.digest == digest

    @staticmethod
    def _stage_from_row(r: sqlite3.Row) -> StageRecord:
        return StageRecord(
            r["video_id"],
            r["stage"],
            r["digest"],
            r["status"],
            r["finished_at"],
            json.loads(r["detail"]),
        )

    # --- vectors ----------------------------------------------------------------------------

    def vector_spaces(self, video_id: str) -> dict[str, VectorSpace]:
        rows = self._rows("SELECT * FROM vector_spaces WHERE video_id=?", (video_id,))
        return {
            r["space"]: VectorSpace(
                r["video_id"], r["space"], r["model_ref"], r["dim"], r["collection"]
            )
            for r in rows
        }

    def _claim_space(self, video_id: str, space: Space, model_ref: str, dim: int) -> str:
        """Record the collection of (video, space); vectors from an older model are dropped."""
        name = collection_name(space, model_ref, dim)
        old = self.vector_spaces(video_id).get(space)
        if old is not None and old.collection == name:
            return name
        if old is not None:
            log.info(
                "video %s: %s vectors move from %s to %s", video_id, space, old.model_ref, model_ref
            )
            self.collection(old.collection).delete(where={"video_id": video_id})
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO vector_spaces (video_id, space, model_ref, dim, collection)"
                " VALUES (?,?,?,?,?)",
                (video_id, space, model_ref, dim, name),
            )
        return name

    def upsert_vectors(
        self,
        space: Space,
        model_ref: str,
        ids: Sequence[str],
        embeddings: np.ndarray,
        metadatas: Sequence[dict[str, Any]],
        documents: Sequence[str] | None = None,
    ) -> None:
        """Upsert vectors in batches chroma accepts. Every metadata needs ``video_id``."""
        emb = np.asarray(embeddings, dtype=np.float32)
        if emb.ndim != 2 or emb.shape[0] != len(ids) or len(metadatas) != len(ids):
            raise ValueError(
                f"{space}: {len(ids)} ids, {len(metadatas)} metadatas and embeddings of shape "
                f"{emb.shape} do not match"
            )
        if not len(ids):
            return
        if not np.isfinite(emb).all():
            raise ValueError(f"{space}: embeddings from {model_ref} contain NaN or inf")
        dim = int(emb.shape[1])
        names: dict[str, str] = {}
        for vid in {m["video_id"] for m in metadatas}:
            names[vid] = self._claim_space(vid, space, model_ref, dim)
        col = self.collection(next(iter(names.values())), space, model_ref, dim)
        step = self._max_batch
        for i in range(0, len(ids), step):
            col.upsert(
                ids=list(ids[i : i + step]),
                embeddings=emb[i : i + step],
                metadatas=list(metadatas[i : i + step]),
                documents=list(documents[i : i + step]) if documents is not None else None,
            )

    def upsert_segment_vectors(
        self, segments: Sequence[Segment], embeddings: np.ndarray, model_ref: str
    ) -> None:
        """Text embeddings of segment captions / summaries (space ``segments``)."""
        metas = [
            {
                "video_id": s.video_id,
                "granularity": s.granularity,
                "start_s": float(s.start_s),
                "end_s": float(s.end_s),
            }
            for s in segments
        ]
        self.upsert_vectors("segments", model_ref, [s.id for s in segments], embeddings, metas)

    def upsert_frame_vectors(
        self, video_id: str, times_s: Sequence[float], embeddings: np.ndarray, model_ref: str
    ) -> None:
        """Image embeddings of sampled frames (space ``frames``)."""
        metas = [
            {"video_id": video_id, "granularity": "frame", "start_s": float(t), "end_s": float(t)}
            for t in times_s
        ]
        self.upsert_vectors(
            "frames", model_ref, [frame_id(video_id, t) for t in times_s], embeddings, metas
        )

    def upsert_timed_text_vectors(
        self, rows: Sequence[TimedText], embeddings: np.ndarray, model_ref: str
    ) -> None:
        """Text embeddings of speech segments / OCR lines (spaces ``speech`` and ``screen_text``)."""
        for kind in ("speech", "screen_text"):
            sel = [i for i, r in enumerate(rows) if r.kind == kind]
            if not sel:
                continue
            metas = [
                {
                    "video_id": rows[i].video_id,
                    "granularity": kind,
                    "start_s": float(rows[i].start_s),
                    "end_s": float(rows[i].end_s),
                }
                for i in sel
            ]
            emb = np.asarray(embeddings)[sel]
            self.upsert_vectors(kind, model_ref, [rows[i].id for i in sel], emb, metas)  # type: ignore[arg-type]

    def query_vectors(
        self,
        video_id: str,
        space: Space,
        query: np.ndarray,
        n: int,
        granularity: str | None = None,
        time_range: tuple[float, float] | None = None,
    ) -> list[VectorHit]:
        """Nearest vectors of one video in one space (empty when the space was not indexed)."""
        vs = self.vector_spaces(video_id).get(space)
        if vs is None:
            return []
        q = np.asarray(query, dtype=np.float32).reshape(1, -1)
        if q.shape[1] != vs.dim:
            raise ConfigError(
                f"{space} of video {video_id} was indexed by {vs.model_ref} ({vs.dim}-d); the query "
                f"vector has {q.shape[1]} dimensions"
            )
        conds: dict[str, Any] = {"video_id": video_id, "granularity": granularity}
        where = chroma_where(**conds)
        if time_range is not None:
            a, b = float(time_range[0]), float(time_range[1])
            clauses = [where] if where else []
            clauses += [{"start_s": {"$lt": b}}, {"end_s": {"$gte": a}}]
            where = {"$and": clauses}
        col = self.collection(vs.collection, space, vs.model_ref, vs.dim)
        res = col.query(
            query_embeddings=q,
            n_results=max(1, int(n)),
            where=where,
            include=["metadatas", "distances"],
        )
        ids = res["ids"][0] if res["ids"] else []
        dists = res["distances"][0] if res.get("distances") else [0.0] * len(ids)
        metas = res["metadatas"][0] if res.get("metadatas") else [{}] * len(ids)
        return [
            VectorHit(i, float(d), dict(m or {}))
            for i, d, m in zip(ids, dists, metas, strict=False)
        ]

    def load_vectors(
        self, video_id: str, space: Space
    ) -> tuple[list[str], list[dict[str, Any]], np.ndarray]:
        """All vectors of one video in one space: (ids, metadatas, float32 matrix)."""
        vs = self.vector_spaces(video_id).get(space)
        if vs is None:
            return [], [], np.zeros((0, 0), dtype=np.float32)
        col = self.collection(vs.collection, vs.space, vs.model_ref, vs.dim)
        ids: list[str] = []
        metas: list[dict[str, Any]] = []
        chunks: list[np.ndarray] = []
        step = self._max_batch
        offset = 0
        while True:
            got = col.get(
                where={"video_id": video_id},
                include=["embeddings", "metadatas"],
                limit=step,
                offset=offset,
            )
            if not got["ids"]:
                break
            ids += got["ids"]
            metas += [dict(m or {}) for m in got["metadatas"]]
            chunks.append(np.asarray(got["embeddings"], dtype=np.float32))
            offset += len(got["ids"])
            if len(got["ids"]) < step:
                break
        matrix = np.concatenate(chunks) if chunks else np.zeros((0, vs.dim), dtype=np.float32)
        return ids, metas, matrix

    def count_vectors(self, video_id: str) -> dict[str, int]:
        """Space -> number of vectors of this video."""
        out: dict[str, int] = {}
        for space, vs in self.vector_spaces(video_id).items():
            col = self.collection(vs.collection, vs.space, vs.model_ref, vs.dim)
            out[space] = len(col.get(where={"video_id": video_id}, include=[])["ids"])
        return out

    # --- removal ----------------------------------------------------------------------------

    def delete_items(
        self,
        video_id: str,
        segment_ids: Sequence[str] = (),
        timed_text_ids: Sequence[str] = (),
        detections: bool = False,
        spaces: Sequence[Space] = (),
    ) -> None:
        """Delete some items of one video (rows and their vectors): what a re-index with other
        settings no longer produces. ``detections`` drops all its detections; ``spaces`` whole
        vector spaces. (Added by the index builder.)"""
        vs = self.vector_spaces(video_id)
        by_space: dict[str, list[str]] = {"segments": list(segment_ids)}
        with self._tx() as db:
            for i in range(0, len(segment_ids), 500):
                chunk = list(segment_ids[i : i + 500])
                db.execute(
                    f"DELETE FROM segments WHERE id IN ({','.join('?' * len(chunk))})", chunk
                )
            for i in range(0, len(timed_text_ids), 500):
                chunk = list(timed_text_ids[i : i + 500])
                rows = db.execute(
                    f"SELECT id, kind FROM timed_text WHERE id IN ({','.join('?' * len(chunk))})",
                    chunk,
                ).fetchall()
                for r in rows:
                    by_space.setdefault(r["kind"], []).append(r["id"])
                db.execute(
                    f"DELETE FROM timed_text WHERE id IN ({','.join('?' * len(chunk))})", chunk
                )
            if detections:
                db.execute("DELETE FROM detections WHERE video_id=?", (video_id,))
            for space in spaces:
                db.execute(
                    "DELETE FROM vector_spaces WHERE video_id=? AND space=?", (video_id, space)
                )
        for space, ids in by_space.items():
            if ids and space in vs:
                col = self.collection(
                    vs[space].collection, vs[space].space, vs[space].model_ref, vs[space].dim
                )
                for i in range(0, len(ids), self._max_batch):
                    col.delete(ids=ids[i : i + self._max_batch])
        for space in spaces:
            if space in vs:
                self.collection(vs[space].collection).delete(where={"video_id": video_id})

    def remove(self, video_id: str) -> bool:
        """Delete everything of one video: vectors, rows, artefacts. False when it was unknown."""
        known = self.get_video(video_id) is not None
        for col_info in self._client.list_collections():
            name = col_info if isinstance(col_info, str) else col_info.name
            col = self._client.get_collection(name, embedding_function=None)
            col.delete(where={"video_id": video_id})
        with self._tx() as db:
            n = 0
            for table in (
                "segments",
                "timed_text",
                "detections",
                "subjects",
                "stages",
                "vector_spaces",
                "videos",
            ):
                n += db.execute(f"DELETE FROM {table} WHERE video_id=?", (video_id,)).rowcount
        vdir = self.video_dir(video_id, create=False)
        if vdir.exists():
            shutil.rmtree(vdir, ignore_errors=True)
        return known or n > 0
