"""What one index run did: per-stage results and timings (``BuildReport``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from vidseek.media.types import VideoInfo

Status = Literal["done", "cached", "skipped", "failed"]


@dataclass
class StageResult:
    """What happened to one stage in one run.

    ``seconds`` is the wall time the stage itself took (for the frame stages, which share one
    decode pass, the time in their models, not the wait for frames); ``video_s`` how many seconds
    of video it processed in this run (less than the duration when it resumed a partial run)."""

    stage: str
    status: Status
    reason: str = ""
    seconds: float = 0.0
    items: int = 0
    video_s: float = 0.0

    @property
    def speed(self) -> float | None:
        """Video-seconds per wall-second; None when the stage did no timed work."""
        if self.status != "done" or self.seconds <= 0 or self.video_s <= 0:
            return None
        return self.video_s / self.seconds


@dataclass(frozen=True)
class StageTiming:
    """One row of the timing table: a stage (or ``decode wait``, ``frame pass``, ``overall``)."""

    stage: str
    wall_s: float
    video_s: float

    @property
    def speed(self) -> float | None:
        """Video-seconds per wall-second (None when nothing was timed)."""
        return self.video_s / self.wall_s if self.wall_s > 0 and self.video_s > 0 else None


@dataclass
class BuildReport:
    """The outcome of indexing one video: per-stage results, timings and wall time."""

    info: VideoInfo
    stages: list[StageResult] = field(default_factory=list)
    seconds: float = 0.0
    decode_s: float = 0.0  # time the frame pass waited for decoded frames
    frame_pass_s: float = 0.0  # wall time of the frame pass (decode and frame stages together)

    def result(self, stage: str) -> StageResult | None:
        return next((r for r in self.stages if r.stage == stage), None)

    @property
    def speed(self) -> float | None:
        """The whole run in video-seconds per wall-second."""
        return self.info.duration_s / self.seconds if self.seconds > 0 else None

    def timings(self) -> list[StageTiming]:
        """Wall seconds and video-seconds per wall-second of every stage that ran, then the
        frame pass (decode and frame stages together), the wait for frames, and the whole run."""
        rows = [
            StageTiming(r.stage, r.seconds, r.video_s) for r in self.stages if r.status == "done"
        ]
        if self.frame_pass_s > 0:
            covered = max((r.video_s for r in self.stages if r.stage in _FRAME_STAGES), default=0.0)
            rows.append(StageTiming("frame pass", self.frame_pass_s, covered))
            rows.append(StageTiming("decode wait", self.decode_s, covered))
        rows.append(StageTiming("overall", self.seconds, self.info.duration_s))
        return rows


_FRAME_STAGES = ("frames", "shots", "detections", "screen_text")
