"""The segment database: a SQLite part (``MetadataStore``: videos, segments, speech and screen
text, detections, subjects, stage records) and a vector part (``VectorIndex``: chromadb today)
behind one facade, ``SegmentStore``.

The ``vector_spaces`` table records which collection holds each video's vectors of each space, so
search always queries the space the video was indexed in, and a video re-indexed with another
embedder moves to that model's collection. Every write is an upsert by a stable id, so re-running
an interrupted index never duplicates or loses items.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vidseek.config import Settings
from vidseek.errors import ConfigError
from vidseek.media.types import VideoInfo
from vidseek.memory.store.metadata import MetadataStore
from vidseek.memory.store.records import (
    SPACES,
    Space,
    StageRecord,
    TextKind,
    VectorHit,
    VectorSpace,
    VideoRecord,
    collection_name,
    detection_id,
    frame_id,
    segment_id,
    timed_text_id,
)
from vidseek.memory.store.schema import SCHEMA_VERSION
from vidseek.memory.store.vectors import (
    ChromaVectors,
    VectorFilter,
    VectorIndex,
    chroma_where,
    open_vector_index,
)
from vidseek.memory.types import DetectionRow, Segment, TimedText

__all__ = [
    "SCHEMA_VERSION",
    "SPACES",
    "ChromaVectors",
    "MetadataStore",
    "SegmentStore",
    "Space",
    "StageRecord",
    "TextKind",
    "VectorFilter",
    "VectorHit",
    "VectorIndex",
    "VectorSpace",
    "VideoRecord",
    "chroma_where",
    "collection_name",
    "detection_id",
    "frame_id",
    "open_vector_index",
    "segment_id",
    "timed_text_id",
]

log = logging.getLogger(__name__)


class SegmentStore:
    """The database of all indexed videos: ``meta`` (one SQLite file, WAL) and ``vectors``.

    Thread-safe for the parallel tool calls of one process, and safe for several processes on
    one data dir (index processes, Ray workers, ``vidseek serve``): SQLite writes wait for the
    write lock, an embedded chromadb is used under a cross-process lock, a chroma server
    (``settings.chroma_host``) takes concurrent writers itself."""

    def __init__(
        self,
        settings: Settings,
        meta: MetadataStore | None = None,
        vectors: VectorIndex | None = None,
    ) -> None:
        self.settings = settings
        self.db_dir = settings.db_dir
        self.db_dir.mkdir(parents=True, exist_ok=True)
        self.sqlite_path = self.db_dir / "vidseek.sqlite"
        self.meta = meta or MetadataStore(self.sqlite_path)
        self.vectors: VectorIndex = vectors or open_vector_index(settings)

    def close(self) -> None:
        self.meta.close()

    def video_dir(self, video_id: str, create: bool = True) -> Path:
        """Per-video artefacts (thumbnails, audio, caches) live here."""
        path = self.settings.videos_dir / video_id
        if create:
            path.mkdir(parents=True, exist_ok=True)
        return path

    def collection(
        self, name: str, space: Space | None = None, model_ref: str = "", dim: int = 0
    ) -> Any:
        """The raw chroma collection ``name`` (tests and benchmarks look inside it)."""
        if not isinstance(self.vectors, ChromaVectors):
            raise TypeError(f"{type(self.vectors).__name__} has no chroma collections")
        return self.vectors.collection(name, space, model_ref, dim)

    # --- the SQLite part (see MetadataStore) ------------------------------------------------

    def upsert_video(
        self,
        info: VideoInfo,
        models: dict[str, str] | None = None,
        digests: dict[str, str] | None = None,
    ) -> None:
        self.meta.upsert_video(info, models, digests)

    def mark_indexed(self, video_id: str, models: dict[str, str] | None = None) -> None:
        self.meta.mark_indexed(video_id, models)

    def get_video(self, video_id: str) -> VideoRecord | None:
        return self.meta.get_video(video_id)

    def find_video(self, video: str | Path) -> VideoRecord | None:
        return self.meta.find_video(video)

    def list_videos(self) -> list[VideoRecord]:
        return self.meta.list_videos()

    def paths(self, video_id: str) -> list[Path]:
        """Every known path of a video: byte-identical copies share one index."""
        return self.meta.paths(video_id)

    def forget_path(self, video_id: str, path: str | Path) -> list[Path]:
        """Drop one path of a video and keep its index; the paths that remain."""
        return self.meta.forget_path(video_id, path)

    def upsert_segments(self, segments: Sequence[Segment]) -> None:
        self.meta.upsert_segments(segments)

    def get_segments(
        self,
        video_id: str,
        granularity: str | None = None,
        time_range: tuple[float, float] | None = None,
    ) -> list[Segment]:
        return self.meta.get_segments(video_id, granularity, time_range)

    def get_segment(self, segment_id: str) -> Segment | None:
        return self.meta.get_segment(segment_id)

    def get_segments_by_ids(self, ids: Sequence[str]) -> dict[str, Segment]:
        return self.meta.get_segments_by_ids(ids)

    def count_segments(self, video_id: str) -> dict[str, int]:
        return self.meta.count_segments(video_id)

    def upsert_timed_text(self, rows: Sequence[TimedText]) -> None:
        self.meta.upsert_timed_text(rows)

    def timed_text(
        self, video_id: str, kind: TextKind, time_range: tuple[float, float] | None = None
    ) -> list[TimedText]:
        return self.meta.timed_text(video_id, kind, time_range)

    def count_timed_text(self, video_id: str) -> dict[str, int]:
        return self.meta.count_timed_text(video_id)

    def upsert_detections(self, video_id: str, detections: Sequence[Any]) -> None:
        self.meta.upsert_detections(video_id, detections)

    def detections(
        self,
        video_id: str,
        label: str | None = None,
        time_range: tuple[float, float] | None = None,
        min_conf: float | None = None,
    ) -> list[DetectionRow]:
        return self.meta.detections(video_id, label, time_range, min_conf)

    def labels(self, video_id: str, min_conf: float | None = None) -> dict[str, int]:
        return self.meta.labels(video_id, min_conf)

    def upsert_subjects(self, video_id: str, subjects: Sequence[dict[str, Any]]) -> None:
        self.meta.upsert_subjects(video_id, subjects)

    def subjects(self, video_id: str) -> list[dict[str, Any]]:
        return self.meta.subjects(video_id)

    def set_stage(
        self,
        video_id: str,
        stage: str,
        digest: str,
        status: str,
        detail: dict[str, Any] | None = None,
    ) -> None:
        self.meta.set_stage(video_id, stage, digest, status, detail)

    def get_stage(self, video_id: str, stage: str) -> StageRecord | None:
        return self.meta.get_stage(video_id, stage)

    def stages(self, video_id: str) -> list[StageRecord]:
        return self.meta.stages(video_id)

    def stage_done(self, video_id: str, stage: str, digest: str) -> bool:
        return self.meta.stage_done(video_id, stage, digest)

    def vector_spaces(self, video_id: str) -> dict[str, VectorSpace]:
        return self.meta.vector_spaces(video_id)

    # --- vectors (both parts: the space record, then the vectors) ---------------------------

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
            self.vectors.delete(old.collection, where=VectorFilter(video_id))
        self.meta.set_vector_space(VectorSpace(video_id, space, model_ref, dim, name))
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
        """Upsert vectors in batches the backend accepts. Every metadata needs ``video_id``."""
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
        names = [
            self._claim_space(vid, space, model_ref, dim)
            for vid in {m["video_id"] for m in metadatas}
        ]
        self.vectors.upsert(
            names[0], ids, emb, metadatas, documents, space=space, model_ref=model_ref
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
        kinds: tuple[TextKind, ...] = ("speech", "screen_text")
        for kind in kinds:
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
            self.upsert_vectors(kind, model_ref, [rows[i].id for i in sel], emb, metas)

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
        return self.vectors.query(
            vs.collection, q, n, VectorFilter(video_id, granularity, time_range)
        )

    def load_vectors(
        self, video_id: str, space: Space
    ) -> tuple[list[str], list[dict[str, Any]], np.ndarray]:
        """All vectors of one video in one space: (ids, metadatas, float32 matrix)."""
        vs = self.vector_spaces(video_id).get(space)
        if vs is None:
            return [], [], np.zeros((0, 0), dtype=np.float32)
        return self.vectors.get(vs.collection, VectorFilter(video_id), vs.dim)

    def count_vectors(self, video_id: str) -> dict[str, int]:
        """Space -> number of vectors of this video."""
        return {
            space: self.vectors.count(vs.collection, VectorFilter(video_id))
            for space, vs in self.vector_spaces(video_id).items()
        }

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
        vector spaces."""
        vs = self.vector_spaces(video_id)
        by_space = {
            "segments": list(segment_ids),
            **self.meta.delete_rows(video_id, segment_ids, timed_text_ids, detections, spaces),
        }
        for space, ids in by_space.items():
            if ids and space in vs:
                self.vectors.delete(vs[space].collection, ids=ids)
        for space in spaces:
            if space in vs:
                self.vectors.delete(vs[space].collection, where=VectorFilter(video_id))

    def remove(self, video_id: str) -> bool:
        """Delete everything of one video: vectors, rows, artefacts. False when it was unknown."""
        known = self.get_video(video_id) is not None
        for name in self.vectors.collections():
            self.vectors.delete(name, where=VectorFilter(video_id))
        n = self.meta.remove_video(video_id)
        vdir = self.video_dir(video_id, create=False)
        if vdir.exists():
            shutil.rmtree(vdir, ignore_errors=True)
        return known or n > 0
