"""``VideoIndex``: one indexed video, as the tools and the CLI see it (read side of the database)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vidseek.config import Settings
from vidseek.errors import NotIndexedError
from vidseek.fmt import one_line
from vidseek.media.types import VideoInfo
from vidseek.memory.search import HybridSearcher
from vidseek.memory.store import SegmentStore, VideoRecord
from vidseek.memory.types import DetectionRow, Granularity, SearchHit, Segment, TimedText
from vidseek.pathnames import printable

if TYPE_CHECKING:
    from vidseek.models.hub import ModelHub

log = logging.getLogger(__name__)

_GRANULARITIES = ("frame", "clip", "shot", "scene", "video")


def content_id(path: Path) -> str | None:
    """The content-addressed id a file would be indexed under (None when it cannot be read)."""
    try:
        from vidseek.media.probe import video_id
    except ImportError:  # media layer not installed: look up by path only
        return None
    try:
        return video_id(path)
    except Exception as exc:  # unreadable file: the caller reports "not indexed"
        log.debug("cannot hash %s: %s", path, exc)
        return None


def resolve_video(store: SegmentStore, video: str | Path) -> VideoRecord:
    """Find an indexed video by id, id prefix, path, or content hash of the file (moved files)."""
    rec = store.find_video(video)
    if rec is None:
        p = Path(str(video)).expanduser()
        if p.is_file():
            vid = content_id(p)
            rec = store.get_video(vid) if vid else None
            if rec is None:
                shown = printable(p)
                raise NotIndexedError(
                    f"{shown}: not indexed yet; run `vidseek index {shown}` first"
                )
        else:
            raise NotIndexedError(
                f"{printable(str(video))}: neither an indexed video id nor a video file; run `vidseek index VIDEO`"
                " (list indexed videos with `vidseek info`)"
            )
    return rec


class VideoIndex:
    """Read access to one indexed video: segments, hybrid search, speech and screen text,
    detections, subjects, overview and frames. Thread-safe for parallel tool calls."""

    def __init__(
        self,
        settings: Settings,
        store: SegmentStore,
        record: VideoRecord,
        models: ModelHub | Any | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.record = record
        self._models = models
        self._searcher: HybridSearcher | None = None
        self._frame_source: Any | None = None

    @classmethod
    def open(
        cls,
        settings: Settings,
        video: str | Path,
        models: ModelHub | Any | None = None,
        store: SegmentStore | None = None,
    ) -> VideoIndex:
        """Open the index of ``video`` (a path or a video id); NotIndexedError when there is none.

        ``models`` is a ModelHub (or anything with ``text_embedder`` / ``image_text_embedder``);
        without one, a ModelHub for ``settings`` is made when the first search needs it."""
        store = store or SegmentStore(settings)
        record = resolve_video(store, video)
        if not store.count_segments(record.video_id):
            raise NotIndexedError(
                f"{record.info.path}: indexing has not produced segments yet; run "
                f"`vidseek index {record.info.path}` to finish it"
            )
        if record.indexed_at is None:
            log.warning("%s: indexing did not finish; results may be partial", record.info.path)
        return cls(settings, store, record, models)

    # --- basics -----------------------------------------------------------------------------

    @property
    def info(self) -> VideoInfo:
        return self.record.info

    @property
    def video_id(self) -> str:
        return self.record.video_id

    @property
    def models(self) -> Any:
        if self._models is None:
            from vidseek.models.hub import ModelHub

            self._models = ModelHub(self.settings)
        return self._models

    def _search(self) -> HybridSearcher:
        if self._searcher is None:
            spaces = self.store.vector_spaces(self.video_id)
            text = self.models.text_embedder if spaces.keys() - {"frames"} else None
            image = self.models.image_text_embedder if "frames" in spaces else None
            self._searcher = HybridSearcher(self.store, self.video_id, text, image)
        return self._searcher

    def segments(
        self, granularity: Granularity = "clip", time_range: tuple[float, float] | None = None
    ) -> list[Segment]:
        if granularity not in _GRANULARITIES:
            raise ValueError(f"granularity must be one of {_GRANULARITIES}, got {granularity!r}")
        return self.store.get_segments(self.video_id, granularity, time_range)

    def get_segment(self, segment_id: str) -> Segment:
        seg = self.store.get_segment(segment_id)
        if seg is None or seg.video_id != self.video_id:
            raise KeyError(f"no segment {segment_id!r} in video {self.video_id}")
        return seg

    # --- search -----------------------------------------------------------------------------

    def search(
        self,
        query: str,
        granularity: Granularity = "clip",
        top_k: int = 8,
        time_range: tuple[float, float] | None = None,
        channels: Sequence[str] | None = None,
        dedupe_gap_s: float | None = 0.5,
    ) -> list[SearchHit]:
        """Hybrid search (see ``vidseek.memory.search``): best segments first."""
        return self._search().search(query, granularity, top_k, time_range, channels, dedupe_gap_s)

    def search_speech(
        self, query: str, top_k: int = 5, time_range: tuple[float, float] | None = None
    ) -> list[TimedText]:
        return self._search().search_text("speech", query, top_k, time_range)

    def search_screen_text(
        self, query: str, top_k: int = 5, time_range: tuple[float, float] | None = None
    ) -> list[TimedText]:
        return self._search().search_text("screen_text", query, top_k, time_range)

    def speech_in(self, start_s: float, end_s: float) -> list[TimedText]:
        return self.store.timed_text(self.video_id, "speech", (start_s, end_s))

    def screen_text_in(self, start_s: float, end_s: float) -> list[TimedText]:
        return self.store.timed_text(self.video_id, "screen_text", (start_s, end_s))

    # --- detections and subjects ------------------------------------------------------------

    def detections(
        self,
        label: str | None = None,
        time_range: tuple[float, float] | None = None,
        min_conf: float | None = None,
    ) -> list[DetectionRow]:
        return self.store.detections(self.video_id, label, time_range, min_conf)

    def labels(self) -> dict[str, int]:
        """Label -> number of sampled frames showing it."""
        return self.store.labels(self.video_id)

    def subjects(self) -> list[dict[str, Any]]:
        return self.store.subjects(self.video_id)

    # --- summaries --------------------------------------------------------------------------

    def channels(self) -> dict[str, dict[str, Any]]:
        """What is indexed: channel -> {count, model}."""
        vid = self.video_id
        spaces = self.store.vector_spaces(vid)
        vectors = self.store.count_vectors(vid)
        texts = self.store.count_timed_text(vid)
        segs = self.store.count_segments(vid)
        models = self.record.models
        out: dict[str, dict[str, Any]] = {}
        for g in _GRANULARITIES:
            if segs.get(g):
                out[f"segments:{g}"] = {"count": segs[g]}
        for space, vs in spaces.items():
            out[f"vectors:{space}"] = {
                "count": vectors.get(space, 0),
                "model": vs.model_ref,
                "dim": vs.dim,
            }
        for kind, role in (("speech", "speech"), ("screen_text", "ocr")):
            if texts.get(kind):
                out[kind] = {"count": texts[kind], "model": models.get(role, "?")}
        labels = self.labels()
        if labels:
            out["detections"] = {
                "count": len(self.detections()),
                "labels": len(labels),
                "model": models.get("detector", "?"),
            }
        subjects = self.subjects()
        if subjects:
            out["subjects"] = {"count": len(subjects)}
        return out

    def overview(self) -> dict[str, Any]:
        """Duration, scene timeline with one-line summaries, video summary, subjects, channels."""
        scenes = self.segments("scene")
        video = self.segments("video")
        return {
            "video_id": self.video_id,
            "path": printable(self.info.path),
            "paths": [printable(p) for p in self.store.paths(self.video_id)],
            "duration_s": self.info.duration_s,
            "resolution": f"{self.info.width}x{self.info.height}",
            "has_audio": self.info.has_audio,
            "notes": self.info.notes(),
            "summary": video[0].text if video else "",
            "scenes": [
                {
                    "id": s.id,
                    "start_s": s.start_s,
                    "end_s": s.end_s,
                    "summary": one_line(s.text),
                }
                for s in scenes
            ],
            "subjects": self.subjects(),
            "labels": self.labels(),
            "channels": self.channels(),
            "models": dict(self.record.models),
            "indexed_at": self.record.indexed_at,
        }

    # --- frames -----------------------------------------------------------------------------

    def frame_source(self) -> Any:
        """The video's FrameSource (opened on first use; the file must still be at its path)."""
        if self._frame_source is None:
            from vidseek.media.frames import open_frame_source

            self._frame_source = open_frame_source(self.info.path, self.settings, info=self.info)
        return self._frame_source
