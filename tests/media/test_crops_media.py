"""Full-resolution crops, thumbnails and JPEGs of one moment."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from vidseek.footage.synth import read_counter
from vidseek.media.crops import box_pixels, crop, frame_at, save_jpeg, thumbnail


def test_crop_is_the_full_resolution_region(counter_mp4: Path, settings) -> None:
    full = frame_at(counter_mp4, 4.2, settings)
    assert full.shape == (240, 320, 3) and read_counter(full) == 42
    part = crop(counter_mp4, 4.2, (0.25, 0.5, 0.75, 1.0), settings, pad=0.0)
    assert part.shape == (120, 160, 3)
    assert np.array_equal(part, full[120:240, 80:240])
    padded = crop(counter_mp4, 4.2, (0.25, 0.5, 0.75, 1.0), settings, pad=0.1)
    assert padded.shape == (132, 192, 3)  # grown 10 % per side, clipped at the bottom edge
    pixels = crop(counter_mp4, 4.2, (0, 0, 320, 40), settings, pad=0.0, normalized=False)
    assert read_counter(np.concatenate([pixels] * 6, axis=0)) == 42  # the counter band itself


def test_box_validation() -> None:
    assert box_pixels((0, 0, 1, 1), 640, 360) == (0, 0, 640, 360)
    assert box_pixels((0.9, 0.9, 1.0, 1.0), 640, 360, pad=1.0) == (512, 288, 640, 360)
    with pytest.raises(ValueError, match="outside"):
        box_pixels((0, 0, 2, 1), 640, 360)
    with pytest.raises(ValueError, match="empty"):
        box_pixels((0.5, 0.5, 0.4, 0.6), 640, 360)
    with pytest.raises(ValueError, match="x1, y1, x2, y2"):
        box_pixels((0.1, 0.2), 640, 360)


def test_thumbnail_and_jpeg(counter_mp4: Path, settings, tmp_path: Path) -> None:
    thumb = thumbnail(counter_mp4, 7.0, settings, max_side=160)
    assert thumb.shape == (120, 160, 3) and read_counter(thumb) == 70
    region = thumbnail(counter_mp4, 7.0, settings, max_side=64, box=(0, 0, 1, 0.5))
    assert max(region.shape[:2]) == 64
    out = save_jpeg(thumb, tmp_path / "sub" / "t.jpg", quality=85)
    back = np.asarray(Image.open(out).convert("RGB"))
    assert back.shape == thumb.shape and read_counter(back) == 70
    with pytest.raises(ValueError, match="RGB uint8"):
        save_jpeg(thumb.astype(np.float32), tmp_path / "x.jpg")
