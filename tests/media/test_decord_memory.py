"""decord leaks on long files: a bounded reader keeps the process's memory flat."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import psutil
import pytest

from vidseek.footage.synth import cached_clip, pattern_clip
from vidseek.media.frames import DecordFrameSource
from vidseek.media.probe import probe


@pytest.fixture(scope="session")
def long_mp4(synth_dir: Path) -> Path:
    """30 minutes of testsrc2 at 5 fps, 160x120 (9000 frames, GOP 50)."""
    return cached_clip(
        synth_dir,
        "long30min.mp4",
        lambda p: pattern_clip(p, "testsrc2=s=160x120:r=5:d=1800", gop=50, preset="ultrafast"),
    )


@pytest.mark.slow
def test_rss_stays_bounded_on_a_long_file(long_mp4: Path, settings) -> None:
    info = probe(long_mp4, settings)
    assert info.duration_s == pytest.approx(1800.0, abs=0.5)
    source = DecordFrameSource(long_mp4, info, threads=1, reopen_after_frames=600)
    proc = psutil.Process()
    rng = np.random.default_rng(1)
    rss = []
    reopened = 0
    for _ in range(6):
        # seeks all over the file: the access pattern that grows decord's memory
        times = np.sort(rng.uniform(0, info.duration_s, 300)).tolist()
        before = source.decoded_since_open
        frames = source.frames_at(times, max_side=96)
        assert len(frames) == 300 and frames[0].image.shape == (72, 96, 3)
        reopened += (
            source.decoded_since_open < before + 300
        )  # the counter restarted: a fresh reader
        assert all(
            f.time_s <= t + 1e-6 and t - f.time_s < 0.2 + 1e-6
            for f, t in zip(frames, times, strict=True)
        )
        rss.append(proc.memory_info().rss)
    source.close()
    assert reopened >= 2
    growth_mb = (max(rss[2:]) - rss[1]) / 2**20
    assert growth_mb < 64, f"RSS grew {growth_mb:.0f} MiB over 4 passes: {rss}"
