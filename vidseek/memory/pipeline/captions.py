"""The captions stage: one caption per clip from its frames (when the captioner can see) and its
context (speech, screen text, detections, subjects met so far), checkpointed per clip in
``captions.jsonl`` so a killed or failed run keeps every finished clip; the subject registry is
merged as captions arrive and replayed from the checkpoint on resume. Output: ``captions.json``."""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Any

import numpy as np

from vidseek.errors import ModelCallError
from vidseek.media.types import Span
from vidseek.memory import stages as S
from vidseek.memory.artefacts import Artefacts
from vidseek.memory.pipeline.context import StageFailed, StageOutcome, VideoJob
from vidseek.memory.subjects import SubjectRegistry
from vidseek.models.base import ClipCaption, describe

log = logging.getLogger(__name__)

FILES = ("captions.json",)
CAPTION_FRAMES = 8  # most frames a seeing captioner gets per clip
_CHECKPOINT = "captions.jsonl"


def _span_row(clip: Span) -> list[float]:
    return [round(clip.start_s, 3), round(clip.end_s, 3)]


def resume_captions(
    art: Artefacts, clips: list[Span], digest: str, video_id: str
) -> tuple[dict[int, ClipCaption], SubjectRegistry]:
    """Finished captions of this digest (per-clip checkpoint) and the subject registry replayed
    from them in the order they were made."""
    registry = SubjectRegistry(video_id)
    done: dict[int, ClipCaption] = {}
    for row in art.read_jsonl(_CHECKPOINT):
        i = row.get("index", -1)
        if row.get("digest") != digest or not 0 <= i < len(clips) or i in done:
            continue
        if _span_row(clips[i]) != row.get("span"):
            continue
        caption = ClipCaption(**row["caption"])
        caption.subjects = list(row.get("raw_subjects", caption.subjects))
        done[i] = registry.canonicalize(caption, clips[i].start_s, clips[i].end_s)
    return done, registry


def clip_frame_times(clip: Span) -> list[float]:
    """Evenly spread times inside a clip, about one per second, at most ``CAPTION_FRAMES``."""
    n = max(1, min(CAPTION_FRAMES, round(clip.duration_s)))
    return [clip.start_s + (k + 0.5) * clip.duration_s / n for k in range(n)]


def _is_remote(model: Any) -> bool:
    return describe(model).startswith(("openai", "http"))


def run(job: VideoJob) -> StageOutcome:
    settings, outputs = job.settings, job.outputs
    clips, _ = outputs.clip_spans()
    digest = job.digests["captions"]
    done, registry = resume_captions(job.art, clips, digest, job.info.video_id)
    todo = [i for i in range(len(clips)) if i not in done]
    captioner = job.models.captioner
    speech = outputs.speech_segments()
    lines = outputs.text_lines()
    dets = outputs.detections()
    det_times = sorted({d.time_s for d in dets})
    if not det_times and settings.models.detector is not None:
        from vidseek.media.parallel import sample_times

        det_times = sample_times(job.info.duration_s, settings.index.detect_fps)
    job.progress.start("captions", total=len(clips), unit="clips", done=len(done))
    if done:
        log.info("captions: %d of %d clips already done, resuming", len(done), len(clips))

    def context_for(i: int) -> Any:
        return S.clip_context(clips[i], speech, lines, dets, det_times, registry.names())

    source = None
    frames_for = None
    if getattr(captioner, "can_see", False):
        from vidseek.media.frames import open_frame_source

        source = open_frame_source(job.video, settings, info=job.info)

        def frames_for(i: int) -> list[np.ndarray]:
            times = clip_frame_times(clips[i])
            return [f.image for f in source.frames_at(times, max_side=settings.media.max_side)]

    def on_caption(i: int, caption: ClipCaption) -> None:
        raw = list(caption.subjects)
        registry.canonicalize(caption, clips[i].start_s, clips[i].end_s)
        job.art.append_jsonl(
            _CHECKPOINT,
            {
                "digest": digest,
                "index": i,
                "span": _span_row(clips[i]),
                "raw_subjects": raw,
                "caption": asdict(caption),
            },
        )
        done[i] = caption
        job.progress.advance("captions")

    try:
        run = S.caption_clips(
            clips,
            todo,
            captioner,
            context_for,
            frames_for,
            on_caption,
            concurrency=settings.index.caption_concurrency,
            retries=settings.models.max_retries if _is_remote(captioner) else 0,
        )
    finally:
        if source is not None:
            source.close()
    made = [i for i in todo if i in done]
    video_s = sum(clips[i].duration_s for i in made)
    if run.failures:
        first = run.failures[0]
        outcome = StageOutcome(
            str(first.error), len(done), video_s, {"done": len(done), "total": len(clips)}
        )
        error = ModelCallError(
            f"{job.video}: captioning stopped with {len(done)} of {len(clips)} clips done "
            f"(kept; run `vidseek index` again to finish the rest): {first.error}"
        )
        error.__cause__ = first.error
        raise StageFailed(outcome, error)
    job.art.write_json(
        "captions.json",
        {
            "captions": [asdict(done[i]) for i in range(len(clips))],
            "subjects": registry.to_list(),
            "model": describe(captioner),
        },
    )
    return StageOutcome(
        f"{len(todo)} captioned, {len(clips) - len(todo)} resumed",
        len(todo),
        video_s,
        {"items": len(clips), "subjects": len(registry)},
    )
