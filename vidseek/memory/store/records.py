"""What the segment database holds besides segments: stable ids, video, stage and vector-space
records. Shared by the SQLite part, the vector part and their callers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from hashlib import sha1
from typing import Any, Literal

from vidseek.media.types import VideoInfo

Space = Literal["segments", "frames", "speech", "screen_text"]
SPACES: tuple[Space, ...] = ("segments", "frames", "speech", "screen_text")
TextKind = Literal["speech", "screen_text"]


def collection_name(space: Space, model_ref: str, dim: int) -> str:
    """Vector collection of one embedding space and model, e.g.
    ``segments__all-minilm-l6-v2-384-1a2b3c``.

    Naming collections by model keeps dimensions and meanings apart when two videos (or two index
    runs) used different embedders. Chroma names allow [a-zA-Z0-9._-], 3 to 512 characters,
    alphanumeric at both ends."""
    tail = model_ref.rstrip("/").split("/")[-1].split(":")[-1].lower()
    slug = re.sub(r"[^a-z0-9]+", "-", tail).strip("-")[:40] or "model"
    return f"{space}__{slug}-{dim}-{sha1(model_ref.encode()).hexdigest()[:6]}"


def frame_id(video_id: str, time_s: float) -> str:
    """Stable id of a frame vector: the time in milliseconds."""
    return f"{video_id}:frame:{round(time_s * 1000):010d}"


def timed_text_id(video_id: str, kind: TextKind, start_s: float, ordinal: int = 0) -> str:
    """Stable id of a speech segment or OCR line (``ordinal`` separates lines of one frame)."""
    return f"{video_id}:{kind}:{round(start_s * 1000):010d}:{ordinal}"


def segment_id(video_id: str, granularity: str, index: int) -> str:
    """The id format of ``Segment.id``."""
    return f"{video_id}:{granularity}:{index:06d}"


def detection_id(video_id: str, time_s: float, ordinal: int) -> str:
    """Stable id of a detection: (video, frame time in ms, ordinal within that frame)."""
    return f"{video_id}:det:{round(float(time_s) * 1000):010d}:{ordinal}"


@dataclass
class VideoRecord:
    """One row of ``videos``: the probe result plus what indexed it."""

    info: VideoInfo
    indexed_at: float | None = None  # set by ``mark_indexed`` when every stage finished
    models: dict[str, str] = field(default_factory=dict)  # role -> model ref
    digests: dict[str, str] = field(default_factory=dict)  # settings digests of the stages

    @property
    def video_id(self) -> str:
        return self.info.video_id


@dataclass
class StageRecord:
    video_id: str
    stage: str
    digest: str
    status: str  # "running" | "done" | "failed"
    finished_at: float | None
    detail: dict[str, Any]


@dataclass
class VectorSpace:
    """Which collection holds a video's vectors of one space, and which model made them."""

    video_id: str
    space: Space
    model_ref: str
    dim: int
    collection: str


@dataclass
class VectorHit:
    id: str
    distance: float  # cosine distance (1 - cosine similarity)
    metadata: dict[str, Any]
    document: str | None = None
