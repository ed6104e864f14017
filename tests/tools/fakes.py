"""Small in-test stand-ins for the index and model hub, for argument-validation and registry unit
tests only (the real-index tests live in test_tools_real.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vidseek.config import Settings
from vidseek.media.types import Frame, VideoInfo
from vidseek.memory.types import DetectionRow, SearchHit, Segment, TimedText
from vidseek.models.base import LookResult
from vidseek.tools.base import Budget, ToolContext

DURATION = 60.0


def video_info() -> VideoInfo:
    return VideoInfo(
        path=Path("/nonexistent/fake.mp4"),
        video_id="fakevid",
        duration_s=DURATION,
        fps=25.0,
        is_vfr=False,
        width=640,
        height=360,
        codec="h264",
        has_audio=True,
    )


class FakeFrames:
    def frames_at(self, times_s: list[float], max_side: int | None = None) -> list[Frame]:
        h, w = (360, 640) if max_side is None else (max_side * 360 // 640, max_side)
        return [Frame(t, np.full((h, w, 3), int(t) % 255, np.uint8), t) for t in times_s]


@dataclass
class FakeIndex:
    shots: list[Segment] = field(default_factory=list)
    dets: list[DetectionRow] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.shots:
            self.shots = [
                Segment(f"fakevid:shot:{i:06d}", "fakevid", "shot", i * 20.0, (i + 1) * 20.0, i)
                for i in range(3)
            ]
        if not self.dets:
            self.dets = [
                DetectionRow("fakevid", t, "person", 0.9, (10.0, 10.0, 50.0, 90.0))
                for t in (1.0, 1.5, 2.0)
            ]

    def segments(self, granularity: str, time_range: Any = None) -> list[Segment]:
        return list(self.shots) if granularity == "shot" else []

    def get_segment(self, seg_id: str) -> Segment | None:
        return next((s for s in self.shots if s.id == seg_id), None)

    def search(
        self,
        query: str,
        granularity: str = "clip",
        top_k: int = 8,
        time_range: Any = None,
        channels: Any = None,
    ) -> list[SearchHit]:
        return [SearchHit(s, 1.0 / (i + 1), {"captions": i + 1}) for i, s in enumerate(self.shots)]

    def search_speech(self, query: str, top_k: int = 5, time_range: Any = None) -> list[TimedText]:
        return [TimedText("s1", "fakevid", 3.0, 5.0, "hello there", "speech", 0.9)]

    def search_screen_text(
        self, query: str, top_k: int = 5, time_range: Any = None
    ) -> list[TimedText]:
        return [
            TimedText(f"o{t}", "fakevid", t, t, "EXIT", "screen_text", 0.8)
            for t in (10.0, 11.0, 12.0)
        ]

    def speech_in(self, start_s: float, end_s: float) -> list[TimedText]:
        return []

    def screen_text_in(self, start_s: float, end_s: float) -> list[TimedText]:
        return []

    def detections(
        self, label: str | None = None, time_range: Any = None, min_conf: float | None = None
    ) -> list[DetectionRow]:
        return [d for d in self.dets if label is None or d.label == label]

    def labels(self) -> dict[str, int]:
        return {"person": len(self.dets)}

    def subjects(self) -> list[str]:
        return []

    def frame_source(self) -> FakeFrames:
        return FakeFrames()


class ScriptedVLM:
    """A scripted inspector: records what it was shown and answers from a fixed script."""

    ref = "scripted-vlm"
    can_see = True

    def __init__(self, answer: str = "a red door", found: bool = True) -> None:
        self.answer, self.found = answer, found
        self.calls: list[dict[str, Any]] = []

    def inspect(self, frames: list[np.ndarray], question: str, context: Any) -> LookResult:
        self.calls.append(
            {
                "n": len(frames),
                "question": question,
                "times": list(context.frame_times_s),
                "shapes": [f.shape for f in frames],
            }
        )
        return LookResult(self.answer, self.found, self.ref, [], tokens=100 * len(frames))

    def caption_clip(self, frames: Any, context: Any, focus: Any = None) -> Any:
        raise AssertionError("not used")


@dataclass
class FakeHub:
    inspector: Any = None
    captioner: Any = None
    detector: Any = None


def make_ctx(
    tmp_path: Path, index: Any = None, hub: Any = None, frames_left: int = 96
) -> ToolContext:
    return ToolContext(
        settings=Settings(data_dir=tmp_path / "data"),
        video=video_info(),
        index=index or FakeIndex(),
        models=hub or FakeHub(inspector=ScriptedVLM()),
        budget=Budget(frames_left=frames_left),
        artefact_dir=str(tmp_path / "art"),
    )
