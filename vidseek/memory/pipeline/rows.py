"""Stage outputs as files: the (de)serialisers of their rows and ``StageOutputs``, which reads
a video's finished stage outputs back as typed objects (what later stages take as inputs)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from vidseek.media.types import Shot, Span
from vidseek.memory.artefacts import Artefacts
from vidseek.models.base import ClipCaption, Detection, SpeechSegment, TextLine


def detection_to_row(d: Detection) -> list[Any]:
    return [d.time_s, d.label, d.confidence, list(d.box), d.track_id, d.frame_width, d.frame_height]


def detection_from_row(r: Sequence[Any]) -> Detection:
    return Detection(r[0], r[1], r[2], tuple(r[3]), r[4], r[5], r[6])


def line_to_row(t: TextLine) -> list[Any]:
    return [t.time_s, t.text, t.confidence, list(t.box) if t.box else None]


def line_from_row(r: Sequence[Any]) -> TextLine:
    return TextLine(r[0], r[1], r[2], tuple(r[3]) if r[3] else None)


def speech_to_row(s: SpeechSegment) -> dict[str, Any]:
    return {
        "start_s": s.start_s,
        "end_s": s.end_s,
        "text": s.text,
        "words": [list(w) for w in s.words],
        "confidence": s.confidence,
        "unsure": list(s.unsure),
    }


def speech_from_row(r: dict[str, Any]) -> SpeechSegment:
    return SpeechSegment(
        r["start_s"],
        r["end_s"],
        r["text"],
        tuple(tuple(w) for w in r.get("words") or ()),
        r.get("confidence"),
        tuple(r.get("unsure") or ()),
    )


def spans_from_rows(rows: Sequence[Sequence[float]]) -> list[Span]:
    return [Span(float(a), float(b)) for a, b in rows]


class StageOutputs:
    """Read access to the finished outputs of one video's stages (missing ones read as empty)."""

    def __init__(self, art: Artefacts) -> None:
        self.art = art

    def detections(self) -> list[Detection]:
        data = self.art.read_json("detections.json", {}) or {}
        return [detection_from_row(r) for r in data.get("rows", [])]

    def text_lines(self) -> list[TextLine]:
        data = self.art.read_json("screen_text.json", {}) or {}
        return [line_from_row(r) for r in data.get("rows", [])]

    def speech_segments(self) -> list[SpeechSegment]:
        data = self.art.read_json("speech.json", {}) or {}
        return [speech_from_row(r) for r in data.get("segments", [])]

    def shots(self) -> list[Shot]:
        data = self.art.read_json("shots.json", {}) or {}
        return [Shot(a, b, i, tr) for i, (a, b, tr) in enumerate(data.get("shots", []))]

    def frame_embeddings(self) -> tuple[list[float], np.ndarray | None, str]:
        """(times, matrix, model) of the frame embeddings; matrix None when absent or torn."""
        emb = self.art.read_npy("frames.npy")
        meta = self.art.read_json("frames.json", {}) or {}
        times = meta.get("times") or []
        if emb is None or not times or len(emb) != len(times):
            return [], None, ""
        return times, emb, meta.get("model") or ""

    def clip_spans(self) -> tuple[list[Span], list[Span]]:
        data = self.art.read_json("clips.json", {}) or {}
        return spans_from_rows(data.get("clips", [])), spans_from_rows(data.get("scenes", []))

    def captions(self) -> tuple[list[ClipCaption], list[dict[str, Any]]]:
        data = self.art.read_json("captions.json", {}) or {}
        return [ClipCaption(**c) for c in data.get("captions", [])], data.get("subjects", [])

    def summaries(self) -> dict[str, Any]:
        return self.art.read_json("summaries.json", {}) or {}
