"""The index stages as pure functions over batches of frames or segments (see docs/architecture.md).

Nothing here keeps state between calls, touches the database or the disk: the builder
(``vidseek.memory.pipeline``) caches and checkpoints around these functions, and a Ray Data job can
map the same functions over batches on many machines unchanged.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

import numpy as np

from vidseek.errors import ModelCallError, VidseekError
from vidseek.media.types import Frame, Shot, Span
from vidseek.memory.text_spans import TextSpan, merge_text_lines  # noqa: F401 - re-exported
from vidseek.models.base import (
    ClipCaption,
    Detection,
    Detector,
    ImageTextEmbedder,
    SpeechRecognizer,
    SpeechSegment,
    TextEmbedder,
    TextLine,
    TextRecognizer,
    VisionLanguageModel,
    VisualContext,
    describe,
)

log = logging.getLogger(__name__)


# -- frame stages --------------------------------------------------------------------------------
def embed_frames(frames: Sequence[Frame], embedder: ImageTextEmbedder) -> np.ndarray:
    """CLIP image embeddings of one batch, (len(frames), dim) float32, L2-normalised."""
    if not frames:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    vectors = np.asarray(embedder.embed_images([f.image for f in frames]), dtype=np.float32)
    if vectors.shape[0] != len(frames):
        raise ModelCallError(
            f"image embedder '{describe(embedder)}' returned {vectors.shape[0]} vectors "
            f"for {len(frames)} frames"
        )
    return vectors


def detect(
    frames: Sequence[Frame],
    detector: Detector,
    min_confidence: float = 0.0,
    classes: Sequence[str] | None = None,
) -> list[Detection]:
    """Objects in one batch of frames, flattened, those below ``min_confidence`` dropped."""
    if not frames:
        return []
    per_frame = detector.detect([f.image for f in frames], [f.time_s for f in frames], classes)
    return [d for dets in per_frame for d in dets if d.confidence >= min_confidence]


def transcribe(audio_path: str, recognizer: SpeechRecognizer) -> list[SpeechSegment]:
    """Speech of a whole audio track; empty segments dropped, sorted by time."""
    segments = recognizer.transcribe(str(audio_path), word_timestamps=True)
    return sorted((s for s in segments if s.text.strip()), key=lambda s: s.start_s)


def read_text(frames: Sequence[Frame], ocr: TextRecognizer) -> list[TextLine]:
    """On-screen text lines of one batch of frames, flattened."""
    if not frames:
        return []
    per_frame = ocr.read([f.image for f in frames], [f.time_s for f in frames])
    return [line for lines in per_frame for line in lines if line.text.strip()]


# -- segment stages ------------------------------------------------------------------------------
def _cover(shots: Sequence[Span], duration_s: float) -> list[tuple[float, float]]:
    """Shot spans sorted, clamped to [0, duration] and made contiguous (no gaps, no overlaps)."""
    spans = sorted(
        (max(0.0, s.start_s), min(duration_s, s.end_s)) for s in shots if s.end_s > s.start_s
    )
    spans = [(a, b) for a, b in spans if b > a]
    if not spans:
        return [(0.0, duration_s)] if duration_s > 0 else []
    bounds = sorted({a for a, _ in spans if 0.0 < a < duration_s})
    edges = [0.0, *bounds, duration_s]
    return [(edges[i], edges[i + 1]) for i in range(len(edges) - 1) if edges[i + 1] > edges[i]]


def make_clips(
    shots: Sequence[Span],
    duration_s: float,
    clip_len_s: float = 10.0,
    min_len_s: float | None = None,
) -> list[Span]:
    """Clips of about ``clip_len_s``, never crossing a shot cut: each shot is cut into equal parts;
    a shot shorter than ``min_len_s`` (default a quarter clip) joins its neighbour instead."""
    if clip_len_s <= 0:
        raise VidseekError(f"index.clip_len_s must be positive, got {clip_len_s}")
    min_len = clip_len_s / 4 if min_len_s is None else min_len_s
    spans = _cover(shots, duration_s)
    merged: list[list[float]] = []
    for a, b in spans:
        if merged and (b - a < min_len or merged[-1][1] - merged[-1][0] < min_len):
            merged[-1][1] = b
        else:
            merged.append([a, b])
    clips: list[Span] = []
    for a, b in merged:
        n = max(1, round((b - a) / clip_len_s))
        step = (b - a) / n
        for i in range(n):
            end = b if i == n - 1 else a + (i + 1) * step
            clips.append(Span(round(a + i * step, 3), round(end, 3)))
    return clips


def make_scenes(
    shots: Sequence[Span],
    min_s: float,
    max_s: float,
    duration_s: float | None = None,
    cuts_s: Sequence[float] | None = None,
) -> list[Span]:
    """Scenes of ``min_s``..``max_s`` built by merging consecutive units (shots or clips).

    A scene closes at the first unit end that is a cut once it is ``min_s`` long (every unit end is
    a cut when ``cuts_s`` is None), and before it would exceed ``max_s``; a unit longer than
    ``max_s`` is split evenly; a short tail joins the scene before it when that still fits.
    """
    if duration_s is None:
        duration_s = max((s.end_s for s in shots), default=0.0)
    units = _cover(shots, duration_s)
    cuts = None if cuts_s is None else {round(c, 3) for c in cuts_s}
    pieces: list[tuple[float, float]] = []
    for a, b in units:
        n = max(1, math.ceil((b - a) / max_s - 1e-9))
        step = (b - a) / n
        pieces.extend((a + i * step, b if i == n - 1 else a + (i + 1) * step) for i in range(n))
    scenes: list[list[float]] = []
    current: list[float] | None = None
    for a, b in pieces:
        if current is not None and b - current[0] > max_s:
            scenes.append(current)
            current = None
        if current is None:
            current = [a, b]
        else:
            current[1] = b
        is_cut = cuts is None or round(b, 3) in cuts
        if current[1] - current[0] >= min_s and is_cut:
            scenes.append(current)
            current = None
    if current is not None:
        if scenes and current[1] - scenes[-1][0] <= max_s and current[1] - current[0] < min_s:
            scenes[-1][1] = current[1]
        else:
            scenes.append(current)
    return [Span(round(a, 3), round(b, 3)) for a, b in scenes]


def assign_parents(children: Sequence[Span], parents: Sequence[Span]) -> list[int]:
    """Index of the parent span that holds each child's midpoint (the nearest one otherwise)."""
    out = []
    for c in children:
        mid = (c.start_s + c.end_s) / 2
        best = min(
            range(len(parents)),
            key=lambda i: (
                0.0
                if parents[i].start_s <= mid < parents[i].end_s
                else min(abs(parents[i].start_s - mid), abs(parents[i].end_s - mid))
            ),
        )
        out.append(best)
    return out


def clip_context(
    clip: Span,
    speech: Sequence[SpeechSegment],
    screen_text: Sequence[TextLine],
    detections: Sequence[Detection],
    frame_times_s: Sequence[float] = (),
    subjects: Sequence[str] = (),
) -> VisualContext:
    """What the captioner is told about one clip besides its pixels (all of it data, not orders)."""
    return VisualContext(
        start_s=clip.start_s,
        end_s=clip.end_s,
        frame_times_s=[t for t in frame_times_s if clip.start_s <= t < clip.end_s],
        speech=[s for s in speech if s.end_s > clip.start_s and s.start_s < clip.end_s],
        screen_text=[t for t in screen_text if clip.start_s <= t.time_s < clip.end_s],
        detections=[d for d in detections if clip.start_s <= d.time_s < clip.end_s],
        subjects=list(subjects),
    )


def caption_one(
    captioner: VisionLanguageModel,
    frames: Sequence[np.ndarray],
    context: VisualContext,
    retries: int = 0,
) -> ClipCaption:
    """One clip caption, retried on failure; after the last try a ModelCallError naming the model."""
    last: Exception | None = None
    for _attempt in range(retries + 1):
        try:
            caption = captioner.caption_clip(frames, context)
        except Exception as exc:  # noqa: BLE001 - any backend failure is retried, then reported
            last = exc
            log.warning(
                "captioner %s failed on %.1f-%.1f s: %s",
                describe(captioner),
                context.start_s,
                context.end_s,
                exc,
            )
            continue
        if not isinstance(caption, ClipCaption):
            last = ModelCallError(f"returned {type(caption).__name__}, not a clip caption")
            continue
        return caption
    raise ModelCallError(
        f"captioner '{describe(captioner)}' failed on clip {context.start_s:.1f}-{context.end_s:.1f} s "
        f"after {retries + 1} tries: {last}"
    ) from last


@dataclass
class CaptionFailure:
    index: int
    error: Exception


@dataclass
class CaptionRun:
    """What ``caption_clips`` did: finished captions by clip index, and the failures."""

    captions: dict[int, ClipCaption] = field(default_factory=dict)
    failures: list[CaptionFailure] = field(default_factory=list)


def caption_clips(
    clips: Sequence[Span],
    todo: Sequence[int],
    captioner: VisionLanguageModel,
    context_for: Callable[[int], VisualContext],
    frames_for: Callable[[int], Sequence[np.ndarray]] | None = None,
    on_caption: Callable[[int, ClipCaption], None] | None = None,
    concurrency: int = 1,
    retries: int = 0,
    stop_on_failure: bool = True,
) -> CaptionRun:
    """Caption the clips listed in ``todo``, ``concurrency`` at a time.

    ``on_caption`` runs in the calling thread as each caption arrives (the builder checkpoints
    there and merges subjects), so finished clips are kept even when a later one fails. After a
    failure no new clip starts (when ``stop_on_failure``); those in flight still finish.
    """
    run = CaptionRun()
    pending = list(todo)
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        running: dict[Future[ClipCaption], int] = {}

        def submit_next() -> None:
            while pending and len(running) < max(1, concurrency):
                if stop_on_failure and run.failures:
                    return
                i = pending.pop(0)
                context = context_for(i)
                frames = frames_for(i) if frames_for is not None else []
                running[pool.submit(caption_one, captioner, frames, context, retries)] = i

        submit_next()
        while running:
            finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for fut in finished:
                i = running.pop(fut)
                try:
                    caption = fut.result()
                except Exception as exc:  # noqa: BLE001 - collected and reported by the caller
                    run.failures.append(CaptionFailure(i, exc))
                    continue
                run.captions[i] = caption
                if on_caption is not None:
                    on_caption(i, caption)
            submit_next()
    return run


def summarize_texts(
    texts: Sequence[str],
    summarizer: VisionLanguageModel,
    instruction: str,
    fan_in: int = 12,
) -> str:
    """Map-reduce: summarise groups of ``fan_in`` texts, then the summaries, until one is left."""
    items = [t for t in texts if t and t.strip()]
    if not items:
        return ""
    while len(items) > fan_in:
        items = [
            summarizer.summarize(items[i : i + fan_in], instruction)
            for i in range(0, len(items), fan_in)
        ]
    return summarizer.summarize(items, instruction)


def summarize_scenes(
    scenes: Sequence[Span],
    clips: Sequence[Span],
    clip_texts: Sequence[str],
    summarizer: VisionLanguageModel,
    instruction: str,
    fan_in: int = 12,
) -> list[str]:
    """One summary per scene, from the captions of the clips it holds (the map step)."""
    parents = assign_parents(clips, scenes) if scenes else []
    out = []
    for s in range(len(scenes)):
        texts = [clip_texts[i] for i, p in enumerate(parents) if p == s]
        out.append(summarize_texts(texts, summarizer, instruction, fan_in))
    return out


def summarize_video(
    scene_summaries: Sequence[str],
    summarizer: VisionLanguageModel,
    instruction: str,
    fan_in: int = 12,
) -> str:
    """The whole video's summary from its scene summaries (the reduce step)."""
    return summarize_texts(scene_summaries, summarizer, instruction, fan_in)


def embed_texts(texts: Sequence[str], embedder: TextEmbedder, batch_size: int = 64) -> np.ndarray:
    """Text embeddings in batches, (len(texts), dim) float32."""
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    parts = [
        np.asarray(embedder.embed(list(texts[i : i + batch_size])), dtype=np.float32)
        for i in range(0, len(texts), batch_size)
    ]
    return np.concatenate(parts, axis=0)


def shots_to_spans(shots: Sequence[Shot]) -> list[Span]:
    return [Span(s.start_s, s.end_s) for s in shots]
