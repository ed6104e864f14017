"""Segment assembly: the stage outputs of one video -> its segments (video, scenes, clips, shots)
and its timed text (speech segments, merged screen-text spans), with stable ids.

Pure functions of the outputs: an engine that runs the stages elsewhere assembles and writes each
video's segments once, and writing them again replaces the same ids."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from vidseek.config import Settings
from vidseek.media.types import Shot, Span, VideoInfo
from vidseek.memory import stages as S
from vidseek.memory.pipeline.rows import StageOutputs
from vidseek.memory.store import segment_id, timed_text_id
from vidseek.memory.text_spans import merge_text_lines
from vidseek.memory.types import Segment, TimedText


def assemble_segments(
    video: Path, info: VideoInfo, settings: Settings, outputs: StageOutputs
) -> list[Segment]:
    """Every segment of the video (video, scenes, clips, shots) from the stage outputs."""
    vid = info.video_id
    clips, scenes = outputs.clip_spans()
    captions, _ = outputs.captions()
    summaries = outputs.summaries()
    shots = outputs.shots() or [Shot(0.0, info.duration_s, 0, "start")]
    shot_spans = [Span(s.start_s, s.end_s) for s in shots]
    cap_ref = settings.models.captioner
    video_seg = Segment(
        id=segment_id(vid, "video", 0),
        video_id=vid,
        granularity="video",
        start_s=0.0,
        end_s=info.duration_s,
        text=summaries.get("video", ""),
        fields={"path": str(video), "scenes": len(scenes)},
        models={"summarizer": cap_ref},
    )
    out = [video_seg]
    scene_texts = summaries.get("scenes") or [""] * len(scenes)
    for i, sc in enumerate(scenes):
        out.append(
            Segment(
                id=segment_id(vid, "scene", i),
                video_id=vid,
                granularity="scene",
                start_s=sc.start_s,
                end_s=sc.end_s,
                index=i,
                parent_id=video_seg.id,
                text=scene_texts[i],
                models={"summarizer": cap_ref},
            )
        )
    analysers = {
        r: ref for r in ("detector", "speech", "ocr") if (ref := getattr(settings.models, r))
    }
    clip_parent = S.assign_parents(clips, scenes) if scenes else [None] * len(clips)
    for i, (c, cap) in enumerate(zip(clips, captions, strict=True)):
        p = clip_parent[i]
        fields = asdict(cap)
        fields.pop("model", None)
        out.append(
            Segment(
                id=segment_id(vid, "clip", i),
                video_id=vid,
                granularity="clip",
                start_s=c.start_s,
                end_s=c.end_s,
                index=i,
                parent_id=None if p is None else segment_id(vid, "scene", p),
                text=cap.to_text(),
                fields=fields,
                models={"captioner": cap.model or cap_ref, **analysers},
            )
        )
    shot_parent = S.assign_parents(shot_spans, scenes) if scenes else [None] * len(shots)
    for i, sh in enumerate(shots):
        inner = [
            captions[k].description
            for k, c in enumerate(clips)
            if sh.start_s <= (c.start_s + c.end_s) / 2 < sh.end_s
        ]
        p = shot_parent[i]
        out.append(
            Segment(
                id=segment_id(vid, "shot", i),
                video_id=vid,
                granularity="shot",
                start_s=sh.start_s,
                end_s=sh.end_s,
                index=i,
                parent_id=None if p is None else segment_id(vid, "scene", p),
                text="\n".join(inner),
                fields={"transition": sh.transition},
            )
        )
    return out


def assemble_timed_text(
    info: VideoInfo, settings: Settings, outputs: StageOutputs
) -> list[TimedText]:
    """Speech segments, and screen-text readings merged into one span per visible text."""
    vid = info.video_id
    rows = [
        TimedText(
            timed_text_id(vid, "speech", s.start_s, i),
            vid,
            s.start_s,
            s.end_s,
            s.text.strip(),
            "speech",
            s.confidence or 0.0,
            s.unsure,
        )
        for i, s in enumerate(outputs.speech_segments())
    ]
    step = 1.0 / max(settings.index.ocr_fps, 1e-6)
    spans = merge_text_lines(outputs.text_lines(), step)
    rows += [
        TimedText(
            timed_text_id(vid, "screen_text", t.start_s, i),
            vid,
            t.start_s,
            t.end_s,
            t.text,
            "screen_text",
            t.confidence,
        )
        for i, t in enumerate(spans)
    ]
    return rows
