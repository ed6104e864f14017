"""`vidseek probe / shots / doctor` and every bad input, through the real console script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from vidseek.footage.synth import cut_patterns, tone

VIDSEEK = Path(sys.executable).with_name("vidseek")


def vidseek(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(VIDSEEK), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory, counter_mp4: Path, silent_mp4: Path) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("bad")
    text = d / "notes.mp4"
    text.write_text("this is a shopping list, not a video\n" * 50)
    empty = d / "empty.mp4"
    empty.write_bytes(b"")
    data = counter_mp4.read_bytes()  # moov atom at the end: the index is cut off
    cut_index = d / "truncated.mp4"
    cut_index.write_bytes(data[: len(data) // 2])
    data = silent_mp4.read_bytes()  # faststart: the index promises frames that are gone
    cut_frames = d / "truncated_faststart.mp4"
    cut_frames.write_bytes(data[: len(data) // 2])
    audio_mp4 = tone(d / "audio_only.mp4", seconds=2, frequency=300)
    return {
        "missing": d / "nope.mp4",
        "directory": d,
        "text": text,
        "empty": empty,
        "truncated": cut_index,
        "truncated_faststart": cut_frames,
        "audio_only": audio_mp4,
    }


EXPECTED = {
    "missing": "no such file",
    "directory": "is a directory",
    "text": "not a readable video file",
    "empty": "empty file (0 bytes)",
    "truncated": "truncated or corrupt video file (moov atom not found)",
    "truncated_faststart": "truncated file: only",
    "audio_only": "has no video stream (found: audio)",
}


@pytest.mark.parametrize("case", sorted(EXPECTED))
@pytest.mark.parametrize("command", ["probe", "shots"])
def test_bad_input_is_one_clear_line(bad_inputs, case: str, command: str) -> None:
    path = bad_inputs[case]
    res = vidseek(command, str(path))
    assert res.returncode == 1
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, res.stderr
    assert "Traceback" not in res.stderr + res.stdout
    assert lines[0].startswith(f"error: {path}: ")
    assert EXPECTED[case] in lines[0]


def test_huge_resolution_is_refused(counter_mp4: Path) -> None:
    res = vidseek("probe", str(counter_mp4), env={"VIDSEEK_MEDIA__MAX_PIXELS": "50000"})
    assert res.returncode == 1
    assert f"error: {counter_mp4}: resolution 320x240 is too large" in res.stderr
    assert "media.max_pixels = 50000" in res.stderr
    assert "Traceback" not in res.stderr


def test_debug_shows_the_traceback(bad_inputs) -> None:
    res = vidseek("--debug", "probe", str(bad_inputs["text"]))
    assert res.returncode != 0
    assert "Traceback" in res.stderr and "VideoError" in res.stderr


def test_probe_json_and_table(counter_mp4: Path) -> None:
    res = vidseek("probe", str(counter_mp4), "--json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["duration_s"] == pytest.approx(20.0)
    assert data["frame_count"] == 200 and data["has_audio"] is True
    assert data["width"] == 320 and data["keyframes"] == 8
    table = vidseek("probe", str(counter_mp4))
    assert table.returncode == 0 and data["video_id"][:16] in table.stdout
    assert "keyframe interval" in table.stdout and "2.50 s" in table.stdout


def test_shots_json_on_a_video_with_cuts(tmp_path: Path) -> None:
    video = cut_patterns(tmp_path / "three.mp4", [4, 3, 4])
    res = vidseek("shots", str(video), "--json")
    assert res.returncode == 0, res.stderr
    shots = json.loads(res.stdout)["shots"]
    assert [round(s["start_s"]) for s in shots] == [0, 4, 7]
    assert shots[-1]["end_s"] == pytest.approx(11.0, abs=0.11)
    table = vidseek("shots", str(video))
    assert "3 shots" in table.stdout


def test_doctor_reports_backends_tools_and_packs() -> None:
    res = vidseek("doctor")
    assert res.returncode == 0, res.stdout + res.stderr
    out = res.stdout
    for name in ("ffmpeg", "ffprobe", "tesseract", "pyav", "decord", "local LLM server"):
        assert name in out
    assert "decoded a test clip" in out
