"""Parallel keyframe-aligned decoding returns exactly what sequential decoding returns."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vidseek.footage.synth import read_counter
from vidseek.media.frames import BACKENDS, frames_at
from vidseek.media.parallel import (
    iter_frame_batches,
    resolve_workers,
    sample_times,
    split_at_keyframes,
)
from vidseek.media.probe import probe


def test_sample_times() -> None:
    assert sample_times(2.0, 2.0) == [0.0, 0.5, 1.0, 1.5]
    assert sample_times(2.1, 2.0) == [0.0, 0.5, 1.0, 1.5, 2.0]
    assert sample_times(0.0, 1.0) == []
    assert len(sample_times(3600.0, 10.0)) == 36000
    assert sample_times(1.0, 3.0)[1] == pytest.approx(1 / 3, abs=1e-6)
    with pytest.raises(ValueError):
        sample_times(10.0, 0.0)


def test_split_at_keyframes_never_splits_a_gop() -> None:
    keys = [0.0, 2.5, 5.0, 7.5]
    times = sample_times(10.0, 4.0)
    ranges = split_at_keyframes(times, keys, 3)
    assert ranges[0][0] == 0 and ranges[-1][1] == len(times)
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:], strict=False))
    for a, _ in ranges[1:]:
        assert any(abs(times[a] - k) < 1e-9 for k in keys)  # each piece starts at a keyframe
    assert len(ranges) == 3
    assert split_at_keyframes([], keys, 4) == []


def test_resolve_workers(settings) -> None:
    assert resolve_workers(settings, 3) == 3
    assert resolve_workers(settings, 0) >= 1
    settings.media.decode_workers = 5
    assert resolve_workers(settings) == 5


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("workers", [2, 3])
def test_parallel_equals_sequential(counter_mp4: Path, settings, backend, workers) -> None:
    times = sample_times(20.0, 3.0)
    seq = frames_at(counter_mp4, times, settings, max_side=200, backend=backend)
    batches = list(
        iter_frame_batches(
            counter_mp4,
            times,
            settings,
            batch_size=7,
            workers=workers,
            max_side=200,
            backend=backend,
        )
    )
    assert [len(b) for b in batches[:-1]] == [7] * (len(batches) - 1)
    par = [f for b in batches for f in b]
    assert len(par) == len(seq) == len(times)
    assert [f.requested_s for f in par] == pytest.approx(times)  # time order
    for a, b in zip(seq, par, strict=True):
        assert a.time_s == b.time_s
        assert np.array_equal(a.image, b.image)
    assert [read_counter(f.image) for f in par] == [int(np.floor(t * 10 + 1e-6)) for t in times]


def test_parallel_vfr_and_dense(vfr_mkv: Path, silent_mp4: Path, settings) -> None:
    for video in (vfr_mkv, silent_mp4):
        info = probe(video, settings)
        times = sample_times(info.duration_s, 7.0)
        seq = frames_at(video, times, settings)
        par = [
            f
            for b in iter_frame_batches(video, times, settings, batch_size=16, workers=2)
            for f in b
        ]
        assert [f.time_s for f in par] == [f.time_s for f in seq]
        assert all(np.array_equal(a.image, b.image) for a, b in zip(seq, par, strict=True))


def test_stream_can_stop_early_and_rejects_bad_order(counter_mp4: Path, settings) -> None:
    it = iter_frame_batches(counter_mp4, sample_times(20.0, 5.0), settings, batch_size=4, workers=2)
    first = next(it)
    assert [read_counter(f.image) for f in first] == [0, 2, 4, 6]
    it.close()  # shuts the pool down without decoding the rest
    with pytest.raises(ValueError, match="non-decreasing"):
        list(iter_frame_batches(counter_mp4, [1.0, 0.5], settings))
    assert list(iter_frame_batches(counter_mp4, [], settings)) == []


def test_threaded_caller_uses_a_forkserver_and_gets_the_same_frames(
    counter_mp4: Path, settings
) -> None:
    """A caller with other threads (a progress bar, a web server) must not fork itself: the
    pool comes from a forkserver instead, and the frames are still exact."""
    import threading

    from vidseek.media.parallel import mp_context

    stop = threading.Event()
    helper = threading.Thread(target=stop.wait, daemon=True)
    helper.start()
    try:
        assert mp_context().get_start_method() == "forkserver"
        times = sample_times(20.0, 2.0)
        par = [
            f
            for b in iter_frame_batches(counter_mp4, times, settings, batch_size=8, workers=2)
            for f in b
        ]
    finally:
        stop.set()
        helper.join()
    assert [read_counter(f.image) for f in par] == [int(np.floor(t * 10 + 1e-6)) for t in times]
