"""The OCR text gate's reading side: a video's frames read in time order, unchanged frames
inheriting the last lines, new text read only in its regions (packed into one image, one
recognizer call). The decision of what changed is ``vidseek.media.textgate``'s; the recognizer
that reads whole frames and packed regions is passed in (``vidseek.models.ocr``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from vidseek.media.textgate import Box, TextGate, box_overlaps
from vidseek.models.base import TextLine

__all__ = ["GatedTextReader", "pack_regions", "unpack_lines"]


def pack_regions(
    image: np.ndarray, regions: Sequence[Box], gap: int = 16
) -> tuple[np.ndarray, list[tuple[int, int, Box]]]:
    """The regions of a frame stacked top to bottom in one image (one OCR call instead of one
    per region), ``gap`` rows of the frame's median colour between them, padded to the frame's
    height so that the recognizer scales it as it scales the frame (tesseract misreads signs
    upscaled more than it would the whole frame: measured, a banner read whole at 2x came out
    as garbage at 3x). Returns the image and, per region, its first and last row in it and its
    box in the frame."""
    fill = np.median(image.reshape(-1, 3), axis=0).astype(np.uint8)
    width = max(x2 - x1 for x1, _, x2, _ in regions)
    parts: list[np.ndarray] = []
    spans: list[tuple[int, int, Box]] = []
    top = 0
    for box in regions:
        x1, y1, x2, y2 = box
        crop = image[y1:y2, x1:x2]
        row = np.empty((crop.shape[0] + gap, width, 3), np.uint8)
        row[:] = fill
        row[gap // 2 : gap // 2 + crop.shape[0], : crop.shape[1]] = crop
        parts.append(row)
        spans.append((top + gap // 2, top + gap // 2 + crop.shape[0], box))
        top += row.shape[0]
    if top < image.shape[0]:
        pad = np.empty((image.shape[0] - top, width, 3), np.uint8)
        pad[:] = fill
        parts.append(pad)
    return np.concatenate(parts, axis=0), spans


def unpack_lines(
    lines: Sequence[TextLine], spans: Sequence[tuple[int, int, Box]]
) -> list[TextLine]:
    """Lines read in a ``pack_regions`` image, with boxes moved back into the frame (a line
    whose centre falls in no region is dropped)."""
    out = []
    for line in lines:
        if line.box is None:
            continue
        x1, y1, x2, y2 = line.box
        mid = (y1 + y2) / 2
        for top, bottom, (bx, by, _, _) in spans:
            if top <= mid < bottom:
                dy = by - top
                box = (round(x1 + bx, 1), round(y1 + dy, 1), round(x2 + bx, 1), round(y2 + dy, 1))
                out.append(replace(line, box=box))
                break
    return out


class GatedTextReader:
    """Reads the frames of one video in time order through a ``TextGate``: unchanged frames
    inherit the last lines (with their own time), new text is read only where it is. ``stats``
    counts the gate's reasons, the frames read whole or in part, and the pixels read against
    the pixels seen. A frame earlier than the
    last one, or of another size, starts over (a new video).

    A gate that waits for new text to hold still (``settle``) reads it a sample after it
    appeared: its lines start a sample late, never before the text was there."""

    def __init__(
        self,
        read_one: Callable[[np.ndarray, float], list[TextLine]],
        gate: TextGate | None = None,
        read_packed: Callable[[np.ndarray, float], list[TextLine]] | None = None,
    ) -> None:
        self.read_one = read_one
        self.read_packed = read_packed or read_one
        self.gate = gate or TextGate()
        self.stats: Counter[str] = Counter()
        self._lines: list[TextLine] = []
        self._last: tuple[float, tuple[int, ...]] | None = None

    def reset(self) -> None:
        self.gate.reset()
        self._lines = []
        self._last = None

    def read_frame(self, image: np.ndarray, time_s: float) -> list[TextLine]:
        if self._last is not None and (time_s <= self._last[0] or image.shape != self._last[1]):
            self.reset()
        self._last = (time_s, image.shape)
        decision = self.gate.decide(image, time_s)
        self.stats[decision.reason] += 1
        self.stats["frames"] += 1
        drop = decision.regions + decision.cleared
        frame_px = image.shape[0] * image.shape[1]
        self.stats["frame pixels"] += frame_px
        if decision.whole:
            self.stats["read whole"] += 1
            self.stats["read pixels"] += frame_px
            lines = self.read_one(image, time_s)
        else:
            lines = [
                ln
                for ln in self._lines
                if ln.box is None or not any(box_overlaps(ln.box, b) for b in drop)
            ]
            if decision.read:
                self.stats["read regions"] += 1
                self.stats["regions"] += len(decision.regions)
                self.stats["read pixels"] += sum(
                    (x2 - x1) * (y2 - y1) for x1, y1, x2, y2 in decision.regions
                )
                packed, spans = pack_regions(image, decision.regions)
                lines += unpack_lines(self.read_packed(packed, time_s), spans)
        self._lines = lines
        return [replace(ln, time_s=time_s) for ln in lines]

    def read(self, images: Sequence[np.ndarray], times_s: Sequence[float]) -> list[list[TextLine]]:
        if len(images) != len(times_s):
            raise ValueError(f"{len(images)} images but {len(times_s)} times")
        return [self.read_frame(img, float(t)) for img, t in zip(images, times_s, strict=True)]
