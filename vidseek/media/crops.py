"""Full-resolution crops and thumbnails of one moment (what ``zoom`` shows the model and people).

Boxes are ``(x1, y1, x2, y2)`` in normalised [0, 1] frame coordinates by default, so that a box
found on a downscaled frame crops the same region of the full-resolution one; pass
``normalized=False`` for pixel coordinates of the full-resolution frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from vidseek.config import Settings
from vidseek.media.frames import open_frame_source

Box = Sequence[float]


def frame_at(path: str | Path, time_s: float, settings: Settings, max_side: int | None = None):
    """The full-resolution (or ``max_side``) RGB frame on screen at ``time_s``."""
    source = open_frame_source(path, settings)
    try:
        return source.frames_at([time_s], max_side=max_side)[0].image
    finally:
        source.close()


def box_pixels(
    box: Box, width: int, height: int, pad: float = 0.0, normalized: bool = True
) -> tuple[int, int, int, int]:
    """Clamp a box to the frame, grow it by ``pad`` (fraction of its size) on every side."""
    if len(box) != 4:
        raise ValueError(f"a box is (x1, y1, x2, y2), got {tuple(box)}")
    x1, y1, x2, y2 = (float(v) for v in box)
    if normalized:
        if not all(-1e-6 <= v <= 1 + 1e-6 for v in (x1, y1, x2, y2)):
            raise ValueError(f"normalised box {tuple(box)} has values outside [0, 1]")
        x1, x2, y1, y2 = x1 * width, x2 * width, y1 * height, y2 * height
    if x2 <= x1 or y2 <= y1:
        raise ValueError(f"empty box {tuple(box)}")
    px, py = (x2 - x1) * pad, (y2 - y1) * pad
    left = int(np.floor(max(0.0, x1 - px)))
    top = int(np.floor(max(0.0, y1 - py)))
    right = int(np.ceil(min(float(width), x2 + px)))
    bottom = int(np.ceil(min(float(height), y2 + py)))
    return left, top, max(right, left + 1), max(bottom, top + 1)


def crop(
    path: str | Path,
    time_s: float,
    box: Box,
    settings: Settings,
    pad: float = 0.1,
    normalized: bool = True,
) -> np.ndarray:
    """RGB uint8 crop of ``box`` (grown by ``pad``) from the full-resolution frame at ``time_s``."""
    image = frame_at(path, time_s, settings)
    h, w = image.shape[:2]
    left, top, right, bottom = box_pixels(box, w, h, pad=pad, normalized=normalized)
    return np.ascontiguousarray(image[top:bottom, left:right])


def thumbnail(
    path: str | Path,
    time_s: float,
    settings: Settings,
    max_side: int = 320,
    box: Box | None = None,
    pad: float = 0.1,
) -> np.ndarray:
    """A small RGB image of the frame at ``time_s`` (or of ``box`` in it), longest side <= max_side."""
    image = crop(path, time_s, box, settings, pad=pad) if box else frame_at(path, time_s, settings)
    pil = Image.fromarray(image)
    pil.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return np.asarray(pil)


def save_jpeg(image: np.ndarray, path: str | Path, quality: int = 90) -> Path:
    """Write an RGB uint8 image as JPEG (creating the folder); returns the path."""
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an RGB uint8 HxWx3 image, got {image.dtype} {image.shape}")
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image).save(out, format="JPEG", quality=int(quality))
    return out
