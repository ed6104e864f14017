"""probe and both FrameSource backends on synthetic videos whose frames carry their number."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vidseek.errors import VideoError
from vidseek.footage.synth import read_counter, vfr_pts
from vidseek.media.frames import (
    BACKENDS,
    DecordFrameSource,
    PyAVFrameSource,
    open_frame_source,
    scaled_size,
)
from vidseek.media.probe import frame_times, probe, video_id


def test_probe_cfr_with_audio(counter_mp4: Path, settings) -> None:
    info = probe(counter_mp4, settings)
    assert info.duration_s == pytest.approx(20.0, abs=1e-3)
    assert info.fps == pytest.approx(10.0, abs=1e-3)
    assert not info.is_vfr
    assert (info.width, info.height) == (320, 240)
    assert info.codec == "h264"
    assert info.has_audio
    assert info.frame_count == 200
    # GOP 25 at 10 fps with scene-cut keyframes off: a keyframe every 2.5 s
    assert info.keyframes_s == pytest.approx([2.5 * k for k in range(8)])
    assert len(info.video_id) == 64 and info.video_id == video_id(counter_mp4)


def test_probe_silent_and_vfr(silent_mp4: Path, vfr_mkv: Path, settings) -> None:
    silent = probe(silent_mp4, settings)
    assert not silent.has_audio and silent.frame_count == 300 and not silent.is_vfr
    vfr = probe(vfr_mkv, settings)
    assert vfr.is_vfr
    assert vfr.frame_count == 150
    pts = vfr_pts(150)
    # the last frame lasts its packet duration (the encoder's nominal 1/25 s)
    assert pts[-1] < vfr.duration_s <= pts[-1] + 0.2
    assert vfr.fps == pytest.approx(150 / vfr.duration_s, rel=1e-3)


def test_video_id_depends_on_content(counter_mp4: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.mp4"
    copy.write_bytes(counter_mp4.read_bytes())
    assert video_id(copy) == video_id(counter_mp4)
    data = bytearray(copy.read_bytes())
    data[-10] ^= 0xFF  # the last MiB is hashed too
    copy.write_bytes(bytes(data))
    assert video_id(copy) != video_id(counter_mp4)


@pytest.mark.parametrize("backend", BACKENDS)
def test_cfr_timestamps_map_to_the_frame_on_screen(counter_mp4: Path, settings, backend) -> None:
    source = open_frame_source(counter_mp4, settings, backend=backend, fallback=False)
    assert source.backend == backend
    # out of order, repeated, between frames, exactly on frames, before the start, past the end
    times = [7.77, 0.0, 0.05, 0.1, 0.3, 0.39999, 2.5, 2.49, 19.95, 25.0, 3 * 0.1, 12.34, 0.0, -1.0]
    frames = source.frames_at(times)
    expected = [min(199, max(0, int(np.floor(t * 10 + 1e-6)))) for t in times]
    assert [read_counter(f.image) for f in frames] == expected
    assert [f.time_s for f in frames] == pytest.approx([e / 10 for e in expected])
    assert [f.requested_s for f in frames] == pytest.approx(times)
    small = source.frames_at([4.2, 1.0], max_side=160)
    assert small[0].image.shape == (120, 160, 3) and small[0].image.dtype == np.uint8
    assert [read_counter(f.image) for f in small] == [42, 10]
    # a second request after decoding further forward must seek back correctly
    assert read_counter(source.frames_at([0.5])[0].image) == 5
    source.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_vfr_timestamps(vfr_mkv: Path, settings, backend) -> None:
    pts = vfr_pts(150)
    times = [0.0, 0.039, 0.04, 0.139, 0.14, 0.2, 0.339, 0.34, 1.0, 5.5, 7.61, 16.79, 16.8, 30.0]
    times += [round(t + 0.001, 3) for t in pts[60:75]]
    expected = [max(0, max(i for i, p in enumerate(pts) if p <= t + 1e-9)) for t in times]
    with open_frame_source(vfr_mkv, settings, backend=backend, fallback=False) as source:
        frames = source.frames_at(times, max_side=200)
    assert [read_counter(f.image) for f in frames] == expected
    # ffmpeg truncates some of its computed pts to the ms below (8.299 for 8.3)
    assert [f.time_s for f in frames] == pytest.approx([pts[e] for e in expected], abs=1.01e-3)
    exact = frame_times(vfr_mkv)
    assert [f.time_s for f in frames] == pytest.approx([exact[e] for e in expected], abs=1e-6)


def test_backends_agree_on_pixels_at_full_size(silent_mp4: Path, settings) -> None:
    times = [0.0, 1.01, 5.55, 11.9]
    with PyAVFrameSource(silent_mp4, probe(silent_mp4, settings)) as a:
        fa = a.frames_at(times)
    with DecordFrameSource(silent_mp4, probe(silent_mp4, settings)) as b:
        fb = b.frames_at(times)
    for x, y in zip(fa, fb, strict=True):
        assert x.time_s == pytest.approx(y.time_s)
        # same decoder (libavcodec) and same colour conversion: nearly identical pixels
        assert np.abs(x.image.astype(int) - y.image.astype(int)).mean() < 2.0


def test_scaled_size_never_upscales() -> None:
    assert scaled_size(1920, 1080, 448) == (448, 252)
    assert scaled_size(320, 240, 448) == (320, 240)
    assert scaled_size(320, 240, None) == (320, 240)
    assert scaled_size(1080, 1920, 448) == (252, 448)


def test_fallback_to_the_other_backend(counter_mp4: Path, settings, monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise VideoError(counter_mp4, "simulated seek failure")

    monkeypatch.setattr(PyAVFrameSource, "frames_at", broken)
    source = open_frame_source(counter_mp4, settings, backend="pyav")
    assert source.backend == "decord"
    assert read_counter(source.frames_at([3.3])[0].image) == 33
    source.close()
    with pytest.raises(VideoError, match="simulated seek failure"):
        open_frame_source(counter_mp4, settings, backend="pyav", fallback=False)
