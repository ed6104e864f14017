"""Render a laid-out haystack: cut every segment to the common format, join them, burn the signs
in one pass and mix the speech into a mono AAC track."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from vidseek.footage import authoring
from vidseek.footage.timeline import FPS, HEIGHT, WIDTH, Segment, TimedNeedle
from vidseek.progress import Progress

RENDER_TASK = "rendering segments"


def render_haystack(
    segments: Sequence[Segment],
    timed: Sequence[TimedNeedle],
    work: Path,
    video: Path,
    progress: Progress,
) -> Path:
    """Write ``video`` from the segments and the timed needles (work files go in ``work``)."""
    progress.start(RENDER_TASK, total=len(segments) + 3, unit="steps")
    files = []
    for i, seg in enumerate(segments):
        dst = work / f"seg{i:03d}.mp4"
        if seg.kind == "still":
            authoring.still_clip(seg.path, dst, seg.frames / FPS, WIDTH, HEIGHT, FPS)
        else:
            authoring.cut(
                seg.path, dst, seg.source_start, seg.frames, seg.hflip, WIDTH, HEIGHT, FPS
            )
        files.append(dst)
        progress.advance(RENDER_TASK)
    authoring.concat(files, work / "joined.mp4")
    progress.advance(RENDER_TASK)
    overlays = [
        authoring.TextOverlay(t.sign, t.start, t.start + (t.sign_len or t.length), t.style)
        for t in timed
        if t.sign
    ]
    authoring.burn_texts(work / "joined.mp4", work / "signed.mp4", overlays)
    progress.advance(RENDER_TASK)
    speech = [(t.speech_start, t.wav) for t in timed if t.wav is not None]
    authoring.mix_speech(work / "signed.mp4", video, speech)
    progress.finish(RENDER_TASK)
    return video
