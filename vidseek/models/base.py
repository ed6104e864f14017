"""Model protocols (docs/architecture.md): each role is a small Protocol; backends are chosen by a
model reference string and loaded lazily (see ``vidseek.models.loader``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class Detection:
    """One object in one frame. ``box`` is (x1, y1, x2, y2) in pixels of the frame as decoded."""

    time_s: float
    label: str
    confidence: float
    box: tuple[float, float, float, float]
    track_id: int | None = None
    frame_width: int = 0
    frame_height: int = 0


@dataclass(frozen=True)
class SpeechSegment:
    """A stretch of transcribed speech; ``words`` holds (start_s, end_s, word) when asked for.
    ``unsure`` lists the words the recognizer itself gave a low probability (tiny.en heard "9
    o'clock" as "8 o'clock" with 0.18 on the "8"): an answer resting on one is not certain."""

    start_s: float
    end_s: float
    text: str
    words: tuple[tuple[float, float, str], ...] = ()
    confidence: float | None = None
    unsure: tuple[str, ...] = ()


@dataclass(frozen=True)
class TextLine:
    """A line of on-screen text found by OCR in one frame."""

    time_s: float
    text: str
    confidence: float
    box: tuple[float, float, float, float] | None = None


@dataclass
class ClipCaption:
    """The structured caption of one clip (DVD-style JSON)."""

    description: str
    subjects: list[str] = field(default_factory=list)
    objects: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    screen_text: list[str] = field(default_factory=list)
    speech: str = ""
    model: str = ""

    def to_text(self) -> str:
        parts = [self.description]
        if self.subjects:
            parts.append("Subjects: " + ", ".join(self.subjects))
        if self.objects:
            parts.append("Objects: " + ", ".join(self.objects))
        if self.actions:
            parts.append("Actions: " + ", ".join(self.actions))
        if self.screen_text:
            parts.append("On-screen text: " + " | ".join(self.screen_text))
        if self.speech:
            parts.append("Speech: " + self.speech)
        return "\n".join(p for p in parts if p)


@runtime_checkable
class TextEmbedder(Protocol):
    ref: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised float32 array (len(texts), dim)."""
        ...


@runtime_checkable
class ImageTextEmbedder(Protocol):
    ref: str
    dim: int

    def embed_images(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """RGB uint8 HxWx3 images -> L2-normalised float32 (n, dim)."""
        ...

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray: ...


@runtime_checkable
class Detector(Protocol):
    ref: str
    labels: tuple[str, ...]

    def detect(
        self,
        images: Sequence[np.ndarray],
        times_s: Sequence[float],
        classes: Sequence[str] | None = None,
    ) -> list[list[Detection]]:
        """One list of detections per image (labels already mapped to canonical names)."""
        ...


@runtime_checkable
class SpeechRecognizer(Protocol):
    ref: str

    def transcribe(self, audio_path: str, word_timestamps: bool = False) -> list[SpeechSegment]: ...


@runtime_checkable
class TextRecognizer(Protocol):
    ref: str

    def read(
        self, images: Sequence[np.ndarray], times_s: Sequence[float]
    ) -> list[list[TextLine]]: ...


@dataclass
class VisualContext:
    """What a captioner or inspector is told besides the pixels: times and the cheap channels.
    Text in here comes from the video (speech, on-screen text) and is data, never instructions."""

    start_s: float
    end_s: float
    frame_times_s: list[float] = field(default_factory=list)
    speech: list[SpeechSegment] = field(default_factory=list)
    screen_text: list[TextLine] = field(default_factory=list)
    detections: list[Detection] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)


@dataclass
class LookResult:
    """The inspector's answer about a set of frames."""

    answer: str
    found: bool
    model: str
    evidence_times_s: list[float] = field(default_factory=list)
    tokens: int = 0
    can_see: bool = True  # False when the backend has no vision (metadata only)


@runtime_checkable
class VisionLanguageModel(Protocol):
    """Captioner and inspector. ``can_see`` is False for the metadata captioner."""

    ref: str
    can_see: bool

    def caption_clip(
        self, frames: Sequence[np.ndarray], context: VisualContext, focus: str | None = None
    ) -> ClipCaption: ...

    def inspect(
        self, frames: Sequence[np.ndarray], question: str, context: VisualContext
    ) -> LookResult: ...

    def summarize(self, texts: Sequence[str], instruction: str) -> str:
        """Map-reduce step: condense captions into a summary."""
        ...


def describe(obj: Any) -> str:
    """The reference string of a model object, for provenance fields."""
    return str(getattr(obj, "ref", type(obj).__name__))
