"""Data types of the segment database (see docs/architecture.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Granularity = Literal["frame", "clip", "shot", "scene", "video"]
Channel = Literal["captions", "frames", "speech", "screen_text", "bm25"]


@dataclass
class Segment:
    """A span of a video at one granularity, with its text and structured fields."""

    id: str  # f"{video_id}:{granularity}:{index:06d}" - stable, so re-indexing never duplicates
    video_id: str
    granularity: Granularity
    start_s: float
    end_s: float
    index: int = 0
    parent_id: str | None = None
    text: str = ""
    fields: dict[str, Any] = field(default_factory=dict)  # subjects, objects, actions, ...
    models: dict[str, str] = field(default_factory=dict)  # role -> model ref that produced it


@dataclass
class SearchHit:
    """One ranked result of a (hybrid) search."""

    segment: Segment
    score: float
    channels: dict[str, int] = field(default_factory=dict)  # channel -> rank (1-based) in it
    matched_text: str = ""  # the speech / OCR / caption text that matched
    match_start_s: float | None = None  # where inside the segment the match is
    match_end_s: float | None = None


@dataclass(frozen=True)
class DetectionRow:
    video_id: str
    time_s: float
    label: str
    confidence: float
    box: tuple[float, float, float, float]
    track_id: int | None = None


@dataclass(frozen=True)
class TimedText:
    """A speech segment or an OCR line as stored (one row per item). ``unsure``: the words of a
    speech row the recognizer gave a low probability (``SpeechSegment.unsure``)."""

    id: str
    video_id: str
    start_s: float
    end_s: float
    text: str
    kind: Literal["speech", "screen_text"]
    score: float = 0.0
    unsure: tuple[str, ...] = ()
