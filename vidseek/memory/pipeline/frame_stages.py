"""The frame stages as units: each takes batches of decoded frames and returns its rows for them
(``process``), and folds the rows of a whole pass into its output file (``finish``).

A unit holds its model and its sampling rate (``fps``) and decode size, and nothing of the
scheduling: the local frame pass (``frame_pass``) feeds every stale unit from one decode pass,
each unit in a thread of its own with ``index.concurrent_stages``; an engine may as well feed
each unit from its own process or worker, as long as it hands ``finish`` the (times, payload)
parts ``process`` returned. ``shots`` is the one stateful unit (the detector compares each frame
to the last), so it is fed in time order and not checkpointed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from vidseek.config import Settings
from vidseek.media.types import Frame, Shot, VideoInfo
from vidseek.memory import stages as S
from vidseek.memory.artefacts import Artefacts
from vidseek.memory.pipeline.decode import resize_frames
from vidseek.memory.pipeline.plan import ocr_side
from vidseek.memory.pipeline.rows import StageOutputs, detection_to_row, line_to_row

Part = tuple[list[float], Any]  # (sampled times, payload: a float32 matrix or a list of rows)


class FrameStage(Protocol):
    name: str
    fps: float  # sampling rate of this stage
    max_side: int  # longest side of the frames it reads
    checkpointed: bool  # False: stateful over the whole pass, recomputed after a crash

    def process(self, frames: Sequence[Frame]) -> Any:
        """Rows (or a matrix) for these frames; None for a stateful unit."""
        ...

    def finish(self, parts: list[Part], art: Artefacts, duration_s: float) -> int:
        """Write the stage's output from all parts; the number of items."""
        ...


class EmbedFrames:
    """CLIP image embeddings of sampled frames -> ``frames.npy`` + ``frames.json``."""

    name = "frames"
    checkpointed = True

    def __init__(self, embedder: Any, fps: float, max_side: int, model_ref: str | None) -> None:
        self.embedder, self.fps, self.max_side, self.model_ref = embedder, fps, max_side, model_ref

    def process(self, frames: Sequence[Frame]) -> np.ndarray:
        return S.embed_frames(resize_frames(list(frames), self.max_side), self.embedder)

    def finish(self, parts: list[Part], art: Artefacts, duration_s: float) -> int:
        parts = sorted(parts, key=lambda p: p[0][0] if p[0] else 0.0)
        times = [t for p in parts for t in p[0]]
        arr = (
            np.concatenate([p[1] for p in parts], axis=0) if parts else np.zeros((0, 0), np.float32)
        )
        art.write_npy("frames.npy", arr.astype(np.float32))
        art.write_json("frames.json", {"times": times, "model": self.model_ref})
        return len(times)


class DetectShots:
    """Shot boundaries from consecutive sampled frames -> ``shots.json`` (refined with the frame
    embeddings when there are any)."""

    name = "shots"
    checkpointed = False

    def __init__(self, detector: Any, fps: float, max_side: int) -> None:
        self.detector, self.fps, self.max_side = detector, fps, max_side

    def process(self, frames: Sequence[Frame]) -> None:
        self.detector.update(resize_frames(list(frames), self.max_side))

    def finish(self, parts: list[Part], art: Artefacts, duration_s: float) -> int:
        shots = refine(self.detector.finish(duration_s), StageOutputs(art))
        art.write_json("shots.json", {"shots": [[s.start_s, s.end_s, s.transition] for s in shots]})
        return len(shots)


def refine(shots: list[Shot], outputs: StageOutputs) -> list[Shot]:
    """Shots adjusted with the frame embeddings (unchanged without them)."""
    times, emb, _ = outputs.frame_embeddings()
    if emb is None:
        return shots
    try:
        from vidseek.media.shots import refine_shots
    except ImportError:
        return shots
    return refine_shots(shots, times, emb)


class _RowStage:
    """A stage whose payload is a list of JSON rows with the time first -> ``<name>.json``."""

    name = ""
    checkpointed = True

    def finish(self, parts: list[Part], art: Artefacts, duration_s: float) -> int:
        rows = sorted((r for p in parts for r in p[1]), key=lambda r: r[0])
        art.write_json(f"{self.name}.json", {"rows": rows})
        return len(rows)


class DetectObjects(_RowStage):
    """Objects in sampled frames (those above ``min_conf``) -> ``detections.json``."""

    name = "detections"

    def __init__(self, detector: Any, fps: float, max_side: int, min_conf: float) -> None:
        self.detector, self.fps, self.max_side, self.min_conf = detector, fps, max_side, min_conf
        self._streaming = False

    def process(self, frames: Sequence[Frame]) -> list[list[Any]]:
        # a sparse detector carries its last run from batch to batch of this pass: the stream
        # starts in the thread that runs the stage (a tool's detect call elsewhere is not part)
        reset = getattr(self.detector, "reset", None)
        if not self._streaming and callable(reset):
            reset()
            self._streaming = True
        small = resize_frames(list(frames), self.max_side)
        return [detection_to_row(d) for d in S.detect(small, self.detector, self.min_conf)]


class ReadText(_RowStage):
    """On-screen text lines of sampled frames, read at up to ``max_side`` -> ``screen_text.json``.

    A gated recognizer (``tesseract:eng?gate=1``) compares each frame with the last it read, so
    it is reset here: one unit is one video's pass."""

    name = "screen_text"

    def __init__(self, ocr: Any, fps: float, max_side: int) -> None:
        self.ocr, self.fps, self.max_side = ocr, fps, max_side
        reset = getattr(ocr, "reset", None)
        if callable(reset):
            reset()

    def process(self, frames: Sequence[Frame]) -> list[list[Any]]:
        lines = S.read_text(resize_frames(list(frames), self.max_side), self.ocr)
        return [line_to_row(x) for x in lines]


def make_frame_stage(name: str, settings: Settings, models: Any, info: VideoInfo) -> FrameStage:
    """The unit of frame stage ``name`` for one video, with its model from ``models`` (a ModelHub
    or anything with the role attributes); a worker process can build its own from settings."""
    ix, side = settings.index, settings.media.max_side
    if name == "frames":
        return EmbedFrames(
            models.image_text_embedder, ix.sample_fps, side, settings.models.image_text_embedder
        )
    if name == "shots":
        from vidseek.media.shots import ShotDetector

        return DetectShots(ShotDetector(settings), ix.sample_fps, side)
    if name == "detections":
        return DetectObjects(models.detector, ix.detect_fps, side, ix.detect_min_conf)
    if name == "screen_text":
        return ReadText(models.ocr, ix.ocr_fps, ocr_side(settings, info))
    raise ValueError(f"no frame stage named {name!r}")
