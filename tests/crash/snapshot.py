"""What an index holds, as plain data, so an interrupted and an uninterrupted run can be compared
item by item (ids, spans, texts, vectors), and what files it left behind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

TEMP_MARKERS = (".tmp", ".part", "parts")


def video_id_of(data_dir: Path) -> str:
    from vidseek.config import Settings
    from vidseek.memory.store import SegmentStore

    store = SegmentStore(Settings(data_dir=data_dir))
    try:
        (video,) = store.list_videos()
        return video.video_id
    finally:
        store.close()


def snapshot(data_dir: Path, video_id: str) -> dict[str, Any]:
    from vidseek.config import Settings
    from vidseek.memory.store import SegmentStore

    settings = Settings(data_dir=data_dir)
    store = SegmentStore(settings)
    try:
        segments = [
            (s.id, s.granularity, round(s.start_s, 3), round(s.end_s, 3), s.text)
            for s in store.get_segments(video_id)
        ]
        texts = [
            (t.id, t.kind, round(t.start_s, 3), round(t.end_s, 3), t.text)
            for kind in ("speech", "screen_text")
            for t in store.timed_text(video_id, kind)
        ]
        dets = [
            (round(d.time_s, 3), d.label, tuple(round(float(v), 1) for v in d.box))
            for d in store.detections(video_id)
        ]
        vectors = {
            space: sorted(store.load_vectors(video_id, space)[0])
            for space in store.vector_spaces(video_id)
        }
        stages = {r.stage: r.status for r in store.stages(video_id)}
        record = store.get_video(video_id)
        indexed = bool(record and getattr(record, "indexed_at", None))
    finally:
        store.close()
    vdir = settings.videos_dir / video_id
    files = sorted(str(p.relative_to(vdir)) for p in vdir.rglob("*")) if vdir.is_dir() else []
    return {
        "segments": segments,
        "texts": texts,
        "detections": dets,
        "vectors": vectors,
        "stages": stages,
        "indexed": indexed,
        "files": files,
    }


def leftovers(data_dir: Path) -> list[str]:
    """Temporary files and checkpoint parts anywhere under the data dir."""
    return sorted(
        str(p.relative_to(data_dir))
        for p in data_dir.rglob("*")
        if any(p.name.endswith(m) or p.name == m or ".tmp" in p.name for m in TEMP_MARKERS)
    )
