"""What a stage of one video works with (``VideoJob``) and what it reports back (``StageOutcome``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vidseek.config import Settings
from vidseek.media.types import VideoInfo
from vidseek.memory.artefacts import Artefacts
from vidseek.memory.pipeline.cache import StageCache
from vidseek.memory.pipeline.rows import StageOutputs
from vidseek.progress import Progress

if TYPE_CHECKING:
    from vidseek.memory.store import SegmentStore
    from vidseek.models.hub import ModelHub


@dataclass
class VideoJob:
    """One video being indexed: its file and probe, the settings and models, its artefact folder,
    the outputs of finished stages, the stage cache, the store and the progress reporter."""

    video: Path
    info: VideoInfo
    settings: Settings
    models: ModelHub
    store: SegmentStore
    art: Artefacts
    cache: StageCache
    progress: Progress

    @property
    def outputs(self) -> StageOutputs:
        return StageOutputs(self.art)

    @property
    def digests(self) -> dict[str, str]:
        return self.cache.digests


@dataclass
class StageOutcome:
    """What a stage body reports: a one-line reason, items made, seconds of video processed in
    this run, and the detail kept in its stage record."""

    reason: str
    items: int = 0
    video_s: float = 0.0
    detail: dict[str, Any] = field(default_factory=dict)


class StageFailed(Exception):
    """A stage stopped part way; its finished work is kept. ``error`` is raised to the caller
    after the failure is recorded."""

    def __init__(self, outcome: StageOutcome, error: Exception) -> None:
        super().__init__(str(error))
        self.outcome = outcome
        self.error = error
