"""The clips stage (shots -> clips and scenes) and the summaries stage (clip captions -> one
summary per scene -> one for the video, map-reduce)."""

from __future__ import annotations

from typing import Any

from vidseek.config import IndexSettings
from vidseek.media.types import Shot, Span
from vidseek.memory import stages as S
from vidseek.memory.pipeline.context import StageOutcome, VideoJob
from vidseek.models.base import describe
from vidseek.progress import Progress
from vidseek.prompts import load_prompt

CLIP_FILES = ("clips.json",)
SUMMARY_FILES = ("summaries.json",)


def clips_and_scenes(
    shots: list[Shot], duration_s: float, ix: IndexSettings
) -> tuple[list[Span], list[Span]]:
    """Clips of about ``clip_len_s`` within shots, and scenes built of whole clips that end at
    shot cuts where they can."""
    clips = S.make_clips(shots, duration_s, ix.clip_len_s)
    cuts = [s.start_s for s in shots]
    scenes = S.make_scenes(clips, ix.scene_min_s, ix.scene_max_s, duration_s, cuts_s=cuts)
    return clips, scenes


def run_clips(job: VideoJob) -> StageOutcome:
    duration = job.info.duration_s
    job.progress.start("clips", total=1, unit="steps")
    clips, scenes = clips_and_scenes(job.outputs.shots(), duration, job.settings.index)
    job.art.write_json(
        "clips.json",
        {
            "clips": [[c.start_s, c.end_s] for c in clips],
            "scenes": [[s.start_s, s.end_s] for s in scenes],
        },
    )
    job.progress.advance("clips")
    return StageOutcome(
        f"{len(clips)} clips, {len(scenes)} scenes",
        len(clips),
        duration,
        {"clips": len(clips), "scenes": len(scenes)},
    )


def summarize(
    clips: list[Span],
    scenes: list[Span],
    clip_texts: list[str],
    summarizer: Any,
    progress: Progress | None = None,
) -> tuple[list[str], str]:
    """(one summary per scene, the video's summary); advances task ``summaries`` per summary."""
    progress = progress or Progress()
    parents = S.assign_parents(clips, scenes) if scenes else []
    instruction = load_prompt("summarize_scene")
    scene_texts = []
    for s in range(len(scenes)):
        members = [clip_texts[i] for i, p in enumerate(parents) if p == s]
        scene_texts.append(S.summarize_texts(members, summarizer, instruction))
        progress.advance("summaries")
    video_text = S.summarize_video(scene_texts, summarizer, load_prompt("summarize_video"))
    progress.advance("summaries")
    return scene_texts, video_text


def run_summaries(job: VideoJob) -> StageOutcome:
    clips, scenes = job.outputs.clip_spans()
    captions, _ = job.outputs.captions()
    summarizer = job.models.captioner
    job.progress.start("summaries", total=len(scenes) + 1, unit="summaries")
    scene_texts, video_text = summarize(
        clips, scenes, [c.to_text() for c in captions], summarizer, job.progress
    )
    job.art.write_json(
        "summaries.json",
        {"scenes": scene_texts, "video": video_text, "model": describe(summarizer)},
    )
    n = len(scenes)
    return StageOutcome(f"{n} scenes + video", n + 1, job.info.duration_s, {"scenes": n})
