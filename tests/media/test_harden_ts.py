"""Issue 15 item 9: two MPEG-TS files joined with ``cat`` restart their timestamps in the
middle; ffprobe then says 5 s for 10 s of video. Probe and shots report the real duration and
the discontinuity, and the frames after it are the second file's."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "faults"))
import fault_corpus as fc  # noqa: E402
from clirun import vidseek  # noqa: E402


@pytest.fixture(scope="module")
def ts(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("ts")
    a, b = d / "a.ts", d / "b.ts"
    fc.ff(*fc.src(5), *fc.X264, "-an", a)
    fc.ff("-f", "lavfi", "-i", f"smptebars=s=320x240:r={fc.FPS}:d=5", *fc.X264, "-an", b)
    joined = d / "joined.ts"
    joined.write_bytes(a.read_bytes() + b.read_bytes())
    return {"a": a, "b": b, "joined": joined}


def test_ffprobe_itself_says_half(ts) -> None:
    """The fixture reproduces the issue: ffprobe reports 5 s for the joined file."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
         str(ts["joined"])], capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert abs(float(out) - 5.0) < 0.2


def test_probe_reports_the_real_duration(ts, settings) -> None:
    from vidseek.media.probe import probe

    info = probe(ts["joined"], settings)
    assert info.duration_s == pytest.approx(10.0, abs=0.11)
    assert info.frame_count == 100
    assert len(info.discontinuities_s) == 1
    assert info.discontinuities_s[0] == pytest.approx(5.0, abs=0.11)
    assert any("timestamps restart" in w for w in info.warnings)
    assert len(set(info.keyframes_s)) == len(info.keyframes_s)
    plain = probe(ts["a"], settings)
    assert plain.discontinuities_s == () and plain.warnings == ()
    assert plain.duration_s == pytest.approx(5.0, abs=0.11)


@pytest.mark.parametrize("workers", [1, 2])
def test_frames_after_the_restart_are_the_second_file(ts, settings, workers: int) -> None:
    from vidseek.media.parallel import iter_frame_batches

    def frames(path: Path, times: list[float]) -> list:
        batches = iter_frame_batches(path, times, settings, workers=workers)
        return [f for b in batches for f in b]

    first = frames(ts["a"], [0.0, 2.0, 4.9])
    second = frames(ts["b"], [0.0, 2.0, 4.9])
    joined = frames(ts["joined"], [0.0, 2.0, 4.9, 5.0, 7.0, 9.9])
    assert [f.time_s for f in joined] == [0.0, 2.0, 4.9, 5.0, 7.0, 9.9]
    for got, want in zip(joined, first + second, strict=True):
        assert np.abs(got.image.astype(int) - want.image.astype(int)).mean() < 1.0
    # backwards requests (a fresh decode from the start) give the same frames
    from vidseek.media.frames import frames_at

    again = frames_at(ts["joined"], [7.0, 2.0], settings)
    assert np.array_equal(again[0].image, joined[4].image)
    assert np.array_equal(again[1].image, joined[1].image)


def test_shots_cli_spans_the_real_duration(ts) -> None:
    run = vidseek("shots", "--json", str(ts["joined"]), cwd=ts["joined"].parent)
    assert run.rc == 0, str(run)
    result = json.loads(run.stdout)
    assert result["duration_s"] == pytest.approx(10.0, abs=0.11)
    assert result["shots"][-1]["end_s"] == pytest.approx(10.0, abs=0.11)
    cuts = [s["start_s"] for s in result["shots"][1:]]
    assert any(abs(c - 5.0) < 0.3 for c in cuts), cuts  # the join is a cut
