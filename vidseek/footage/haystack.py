"""Needle-in-a-haystack benchmark builder (``vidseek scenarios make-haystack``).

Filler footage from any folder of clips is cut into pieces; needles go in at known times:
spoken announcements (espeak-ng, mixed into an AAC mono 16 kHz track among distractor chatter),
on-screen signs (ffmpeg drawtext), visual inserts (a clip or a still photograph spliced in),
repeated needles (counting), pairs (ordering), things never inserted (absent) and sign-then-speech
pairs (two-step). Needle content comes from templates filled with seeded random values
(``vidseek.footage.templates``), so every seed gives a different, reproducible set: the same seed
writes identical manifest and questions. Questions use the LVBench JSONL schema plus ground-truth
spans in seconds.

The steps draw from one seeded generator in a fixed order: needle content, visual inserts, timed
needles, voices, placement, filler, questions. Rendering draws nothing, so the manifest and the
questions exist (and are checked) before the slow part starts.
"""

from __future__ import annotations

import json
import logging
import random
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vidseek.footage.manifest import make_manifest, needle_rows, spans_by_needle
from vidseek.footage.needles import plan_needles, timed_needles, visual_inserts, voice_needles
from vidseek.footage.questions import make_questions, questions_file
from vidseek.footage.render import render_haystack
from vidseek.footage.timeline import (
    FPS,
    HaystackError,
    lay_segments,
    list_clips,
    place_inserts,
    place_timed,
)
from vidseek.footage.visuals import VisualSpec
from vidseek.media import ffmpeg
from vidseek.progress import Progress, ProgressSink

log = logging.getLogger(__name__)


@dataclass
class HaystackResult:
    video: Path
    manifest_path: Path
    questions_path: Path
    manifest: dict[str, Any] = field(repr=False, default_factory=dict)
    questions: dict[str, Any] = field(repr=False, default_factory=dict)


def build_haystack(
    clips: Path | str | Sequence[Path | str],
    out_dir: Path | str,
    minutes: float = 10.0,
    seed: int = 0,
    visuals: Sequence[VisualSpec] | None = None,
    set_name: str | None = None,
    progress: ProgressSink | None = None,
) -> HaystackResult:
    """Build ``haystack.mp4``, ``manifest.json`` and ``questions.jsonl`` in ``out_dir``.

    ``clips``: a folder of video clips or a list of them (fillers); ``visuals``: clips or stills
    spliced in whole as visual needles (e.g. ``sample_visuals(settings)``); a filler whose file
    stem names a visual needle is not used as filler."""
    if minutes <= 0 or minutes > 600:
        raise HaystackError(f"minutes must be in (0, 600], got {minutes}")
    rng = random.Random(seed)
    out_dir = Path(out_dir)
    set_name = set_name or f"haystack-{minutes:g}m-s{seed}"
    total = round(minutes * 60 * FPS) / FPS
    visuals = list(visuals or [])
    vis_names = {v.name for v in visuals} | {v.path.stem for v in visuals}
    fillers = [p for p in list_clips(clips) if p.stem not in vis_names]
    if not fillers:
        raise HaystackError(f"{clips}: every clip is a visual needle; no filler footage is left")
    for v in visuals:
        if not v.path.is_file():
            raise HaystackError(f"{v.path}: visual needle file is missing")
    bar = Progress(progress, scope=str(out_dir))

    plan = plan_needles(rng, minutes, visuals)
    inserts = visual_inserts(rng, plan)
    starts = place_inserts(rng, total, inserts)
    visual_spans = [(s, s + ins.frames / FPS) for s, ins in zip(starts, inserts, strict=True)]
    timed = timed_needles(rng, plan)
    work = out_dir / ".work"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    voice_needles(rng, timed, work, bar)
    place_timed(rng, total, timed, visual_spans)
    durations = {p: ffmpeg.duration_s(p) for p in fillers}
    segments = lay_segments(rng, total, fillers, durations, inserts, starts)
    needles, distractors = needle_rows(segments, timed, total)
    spans = spans_by_needle(needles)
    video = out_dir / "haystack.mp4"
    qa = make_questions(rng, plan, spans, set_name, total)

    render_haystack(segments, timed, work, video, bar)
    frames = ffmpeg.frame_count(video)
    if frames != round(total * FPS):
        raise HaystackError(f"{video}: expected {round(total * FPS)} frames, got {frames}")
    shutil.rmtree(work, ignore_errors=True)

    manifest = make_manifest(
        set_name=set_name,
        seed=seed,
        minutes=minutes,
        video_name=video.name,
        total=total,
        segments=segments,
        needles=needles,
        distractors=distractors,
    )
    questions = questions_file(set_name, total, video.name, qa)
    manifest_path = out_dir / "manifest.json"
    questions_path = out_dir / "questions.jsonl"
    manifest_path.write_text(json.dumps(manifest, indent=1))
    questions_path.write_text(json.dumps(questions) + "\n")
    log.info("haystack %s: %d s, %d needles, %d questions", video, total, len(needles), len(qa))
    return HaystackResult(video, manifest_path, questions_path, manifest, questions)
