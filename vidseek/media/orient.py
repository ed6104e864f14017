"""Picture geometry of decoded frames: display orientation and output size.

Phones store pictures sideways and say how to turn them.

An MP4/MOV (or MKV) video stream may carry a display matrix (ffprobe shows it as "rotation").
Players turn the stored picture by it; the models must see what people see, so every frame
source turns its frames upright. The matrix is reduced to ``rotation`` (degrees the stored
picture turns counter-clockwise, ffprobe's sign: 0, 90, 180 or 270) followed by an optional
horizontal ``mirror``; this gives the same pictures as ffmpeg 7's autorotate for all eight
signed-permutation matrices. Other angles (rare, not produced by cameras) are ignored with a
warning.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Orientation:
    """How to turn a stored picture for display: rotate ``rotation`` degrees counter-clockwise,
    then mirror left-right when ``mirror``."""

    rotation: int = 0
    mirror: bool = False

    @property
    def swaps_axes(self) -> bool:
        """Width and height of the displayed picture are the stored height and width."""
        return self.rotation in (90, 270)

    @property
    def is_identity(self) -> bool:
        return self.rotation == 0 and not self.mirror


UPRIGHT = Orientation()


def from_display_matrix(matrix: bytes | bytearray | memoryview | None) -> Orientation:
    """The orientation of a libav display matrix (9 native int32, 16.16 fixed point)."""
    if matrix is None or len(matrix) < 36:
        return UPRIGHT
    m = np.frombuffer(bytes(matrix[:36]), dtype=np.int32).astype(np.float64)
    a, b, c, d = m[0], m[1], m[3], m[4]
    mirror = a * d - b * c < 0
    if mirror:  # av_display_matrix_flip(hflip) negated the first column: undo it
        a, c = -a, -c
    if math.hypot(a, c) == 0 or math.hypot(b, d) == 0:
        return UPRIGHT
    # av_display_rotation_get: counter-clockwise degrees
    degrees = -math.degrees(math.atan2(b / math.hypot(b, d), a / math.hypot(a, c)))
    quarter = round(degrees / 90.0)
    if abs(degrees - 90.0 * quarter) > 1.0:
        log.warning("display matrix turns the picture by %.1f degrees: ignored", degrees)
        return Orientation(0, mirror)
    return Orientation(int(quarter % 4) * 90, bool(mirror))


def of_frame(frame) -> Orientation:
    """The orientation a decoded PyAV frame carries (libav copies the stream's matrix to frames)."""
    for side in frame.side_data:
        if getattr(side.type, "name", "") == "DISPLAYMATRIX":
            return from_display_matrix(bytes(side))
    return UPRIGHT


def apply(image: np.ndarray, orientation: Orientation) -> np.ndarray:
    """The picture as displayed (a contiguous copy when it had to be turned)."""
    if orientation.is_identity:
        return image
    out = np.rot90(image, k=orientation.rotation // 90)
    if orientation.mirror:
        out = out[:, ::-1]
    return np.ascontiguousarray(out)


def scaled_size(width: int, height: int, max_side: int | None) -> tuple[int, int]:
    """Output size that fits ``max_side`` (never upscales; keeps even sizes for the scalers)."""
    if not max_side or max(width, height) <= max_side:
        return width, height
    scale = max_side / max(width, height)
    w = max(2, int(round(width * scale / 2)) * 2)
    h = max(2, int(round(height * scale / 2)) * 2)
    return min(w, width), min(h, height)


def stored_size(width: int, height: int, orientation: Orientation) -> tuple[int, int]:
    """Stored (coded) size of a picture displayed at ``width`` x ``height``."""
    return (height, width) if orientation.swaps_axes else (width, height)
