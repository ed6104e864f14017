"""Plain data types of the media layer. Times are float seconds everywhere."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class VideoInfo:
    """What ``probe`` learns about a file, plus its content hash.

    ``width`` x ``height`` is the picture as displayed: a phone video stored sideways with a
    display rotation reports its upright size, and every frame source returns upright frames.
    ``rotation`` (degrees the stored picture turns counter-clockwise, ffprobe's sign) and
    ``mirrored`` say how it is stored. ``discontinuities_s`` are the times where the file's own
    timestamps restart (files joined with ``cat``); all times here are on one continuous
    timeline. ``gaps_s`` are spans ``(start_s, end_s)`` whose frames could not be decoded (a
    damaged recording): probe cannot see them, the decode pass fills them in (see
    :class:`DecodeDamage`). ``warnings`` are one-line notes worth showing to people.
    """

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
    rotation: int = 0
    mirrored: bool = False
    discontinuities_s: tuple[float, ...] = field(default_factory=tuple)
    gaps_s: tuple[tuple[float, float], ...] = field(default_factory=tuple)
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        # JSON round trips (the store) give lists: keep the value types hashable and comparable
        norm = {
            "keyframes_s": tuple(float(t) for t in self.keyframes_s),
            "discontinuities_s": tuple(float(t) for t in self.discontinuities_s),
            "gaps_s": tuple((float(a), float(b)) for a, b in self.gaps_s),
            "warnings": tuple(str(w) for w in self.warnings),
        }
        for name, value in norm.items():
            object.__setattr__(self, name, value)

    @property
    def stored_size(self) -> tuple[int, int]:
        """(width, height) of the picture as stored in the file, before display rotation."""
        if self.rotation in (90, 270):
            return self.height, self.width
        return self.width, self.height

    @property
    def damaged_s(self) -> float:
        """Seconds of the video whose frames could not be decoded."""
        return round(sum(b - a for a, b in self.gaps_s), 6)

    def notes(self) -> list[str]:
        """What people should know about how this file was read (``info`` and ``probe`` print
        them): a stored rotation, undecodable stretches, restarting timestamps, warnings."""
        out: list[str] = []
        if self.rotation or self.mirrored:
            how = f"rotated {self.rotation} degrees" if self.rotation else "stored"
            out.append(f"{how}{' (mirrored)' if self.mirrored else ''}; frames turned upright")
        if self.gaps_s:
            spans = ", ".join(f"{a:.2f}-{b:.2f} s" for a, b in self.gaps_s[:5])
            more = " ..." if len(self.gaps_s) > 5 else ""
            out.append(
                f"damaged: {self.damaged_s:.2f} s undecodable in {len(self.gaps_s)} gap(s) "
                f"({spans}{more}); the rest is indexed"
            )
        if self.discontinuities_s:
            times = ", ".join(f"{t:.2f} s" for t in self.discontinuities_s[:5])
            out.append(f"timestamps restart at {times}; laid end to end")
        out.extend(self.warnings)
        return out


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


@dataclass
class DecodeDamage:
    """Collects the frames a decode pass had to skip (undecodable packets of a damaged file).

    Pass one to :func:`~vidseek.media.parallel.iter_frame_batches` (or read a frame source's
    ``damage``); afterwards :meth:`gaps` gives the undecodable spans for ``VideoInfo.gaps_s``.
    """

    times_s: set[float] = field(default_factory=set)

    def add(self, times_s) -> None:
        self.times_s.update(round(float(t), 6) for t in times_s)

    def __len__(self) -> int:
        return len(self.times_s)

    def gaps(self, frame_interval_s: float) -> tuple[tuple[float, float], ...]:
        """Undecodable frames merged into spans: frames closer than 1.5 frame intervals join one
        span, and each span ends one frame interval after its last undecodable frame."""
        step = max(float(frame_interval_s), 1e-3)
        spans: list[list[float]] = []
        for t in sorted(self.times_s):
            if spans and t - spans[-1][1] <= 1.5 * step:
                spans[-1][1] = t
            else:
                spans.append([t, t])
        return tuple((round(a, 6), round(b + step, 6)) for a, b in spans)
