"""The write stage: text embeddings of the assembled segments and timed text, then every row and
vector of the video into the store, replacing what an earlier run with other settings made."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vidseek import killpoints
from vidseek.memory import stages as S
from vidseek.memory.pipeline.context import StageOutcome, VideoJob
from vidseek.memory.pipeline.segments import assemble_segments, assemble_timed_text

if TYPE_CHECKING:
    from vidseek.memory.store import SegmentStore

_STEPS = 5


def model_refs(job: VideoJob) -> dict[str, str]:
    """Role -> model ref of every model that indexed the video."""
    m = job.settings.models
    roles = ("text_embedder", "image_text_embedder", "detector", "speech", "ocr", "captioner")
    return {r: getattr(m, r) for r in roles if getattr(m, r)}


def prune(
    store: SegmentStore, video_id: str, segment_ids: set[str], text_ids: set[str], frames: bool
) -> None:
    """Delete rows and vectors of ``video_id`` that the new run does not produce again (or
    produces without a vector: those rows are upserted again right after)."""
    stale_segments = [s.id for s in store.get_segments(video_id) if s.id not in segment_ids]
    stale_texts = [
        t.id
        for kind in ("speech", "screen_text")
        for t in store.timed_text(video_id, kind)
        if t.id not in text_ids
    ]
    spaces: list[Any] = [] if frames else ["frames"]
    store.delete_items(
        video_id, segment_ids=stale_segments, timed_text_ids=stale_texts, spaces=spaces
    )


def run(job: VideoJob) -> StageOutcome:
    vid, store, outputs = job.info.video_id, job.store, job.outputs
    progress = job.progress
    segments = assemble_segments(job.video, job.info, job.settings, outputs)
    texts = assemble_timed_text(job.info, job.settings, outputs)
    embedder = job.models.text_embedder
    ref = job.settings.models.text_embedder
    progress.start("write", total=_STEPS, unit="steps")
    job.cache.mark("write", "running")
    store.upsert_video(job.info, models=model_refs(job), digests=dict(job.digests))
    with_text = [s for s in segments if s.text.strip()]
    seg_vecs = S.embed_texts([s.text for s in with_text], embedder)
    progress.advance("write")
    txt_vecs = S.embed_texts([t.text for t in texts], embedder)
    progress.advance("write")
    # stale items of an earlier run with other settings (more clips, other OCR lines) go first;
    # so do the vectors of segments that have no text now (they are written again)
    prune(
        store,
        vid,
        {s.id for s in with_text},
        {t.id for t in texts},
        frames=job.settings.models.image_text_embedder is not None,
    )
    killpoints.reached("write.pruned")
    store.upsert_segments(segments)
    killpoints.reached("write.segment_rows")  # rows written, vectors not yet
    store.upsert_segment_vectors(with_text, seg_vecs, ref)
    store.upsert_timed_text(texts)
    killpoints.reached("write.text_rows")
    store.upsert_timed_text_vectors(texts, txt_vecs, ref)
    progress.advance("write")
    dets = outputs.detections()
    store.delete_items(vid, detections=True)
    killpoints.reached("write.detections_deleted")
    store.upsert_detections(vid, dets)
    progress.advance("write")
    times, emb, model = outputs.frame_embeddings()
    if emb is not None:
        store.upsert_frame_vectors(vid, times, emb, model)
    _, subjects = outputs.captions()
    store.upsert_subjects(vid, subjects)
    progress.advance("write")
    return StageOutcome(
        f"{len(segments)} segments, {len(texts)} texts, {len(dets)} detections",
        len(segments),
        job.info.duration_s,
        {"segments": len(segments), "timed_text": len(texts)},
    )
