"""Plain data types of the media layer. Times are float seconds everywhere."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class VideoInfo:
    """What ``probe`` learns about a file, plus its content hash (design.md section 3)."""

    path: Path
    video_id: str
    duration_s: float
    fps: float  # average frame rate
    is_vfr: bool  # frame durations vary (variable frame rate)
    width: int
    height: int
    codec: str
    has_audio: bool
    keyframes_s: tuple[float, ...] = field(default_factory=tuple)
    frame_count: int | None = None


@dataclass(frozen=True)
class Frame:
    """One decoded frame: ``time_s`` is the presentation time of the frame actually shown at the
    requested time (the last frame whose pts <= requested time), ``image`` is RGB uint8 HxWx3."""

    time_s: float
    image: np.ndarray
    requested_s: float | None = None


@dataclass(frozen=True)
class Span:
    """A half-open time span [start_s, end_s) in seconds."""

    start_s: float
    end_s: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    def overlaps(self, other: Span) -> bool:
        return self.start_s < other.end_s and other.start_s < self.end_s


@dataclass(frozen=True)
class Shot(Span):
    """A shot: frames between two boundaries. ``transition`` tells how it began."""

    index: int = 0
    transition: str = "cut"  # cut | gradual | start
