"""Issue 15, resource limits: a huge resolution, a very long duration and a container that
claims hours but holds seconds cost bounded memory and disk; a configured limit that is
exceeded is a clear refusal before any work, and a refused index writes nothing."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "faults"))
import fault_corpus as fc  # noqa: E402
from clirun import vidseek  # noqa: E402

NAMES = ("huge_8704x4608", "sparse_25_hours", "claims_hours", "ts_jump_3h", "h264_aac")


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    return fc.build(tmp_path_factory.mktemp("limits"), [c for c in fc.CASES if c.name in NAMES])


@pytest.mark.parametrize(
    ("case", "env", "problem"),
    [
        ("huge_8704x4608", {}, "resolution 8704x4608 is too large (more than media.max_pixels"),
        ("sparse_25_hours", {}, "duration 25:00:00 is longer than media.max_duration_s = 86400 s"),
        ("h264_aac", {"VIDSEEK_MEDIA__MAX_PIXELS": "50000"}, "media.max_pixels = 50000 pixels"),
        ("h264_aac", {"VIDSEEK_MEDIA__MAX_DURATION_S": "1.5"}, "media.max_duration_s = 1.5 s"),
    ],
)
def test_limits_refuse_before_any_work(files, tmp_path: Path, case, env, problem) -> None:
    path = files[case]
    data = tmp_path / "data"
    for args in (("probe", str(path)), ("--data-dir", str(data), "index", str(path))):
        run = vidseek(*args, cwd=tmp_path, env=env)
        assert run.rc == 1, str(run)
        assert f"error: {path}: " in run.stderr and problem in run.stderr, str(run)
        assert "Traceback" not in run.stderr
        assert run.max_rss_mb < 500 or args[0] != "probe", run.max_rss_mb
    videos = data / "videos"
    assert not videos.exists() or not any(videos.iterdir())
    db = data / "db" / "vidseek.sqlite"
    if db.exists():
        with sqlite3.connect(db) as con:
            assert con.execute("SELECT COUNT(*) FROM videos").fetchone()[0] == 0


def test_the_limits_are_settings(settings) -> None:
    from vidseek.config import Settings

    assert settings.media.max_duration_s == 24 * 3600
    assert Settings(media={"max_duration_s": 60}).media.max_duration_s == 60


def test_a_header_claiming_hours_is_not_believed(files, settings) -> None:
    """The MP4 header says 3 hours (ffprobe 5.1 reports 10800 s); the frames span 3 s."""
    from vidseek.media.probe import probe

    info = probe(files["claims_hours"], settings)
    assert info.duration_s == pytest.approx(3.0, abs=0.11)
    assert info.frame_count == 30


def test_timestamps_jumping_hours_ahead_are_not_believed(files, settings) -> None:
    """An MPEG-TS whose second half is stamped 3 hours later holds 10 s, not 3 hours."""
    from vidseek.media.probe import probe

    info = probe(files["ts_jump_3h"], settings)
    assert info.duration_s == pytest.approx(10.0, abs=0.11)
    assert info.discontinuities_s == pytest.approx((5.0,), abs=0.11)


def test_probe_memory_is_flat_on_a_long_packet_index(tmp_path: Path) -> None:
    """36 000 frames (an hour at 10 fps, 16x16 pixels): the packet index is kept in compact
    arrays, so probing it costs about what probing a 3 s file does."""
    long = tmp_path / "hour.mkv"
    fc.ff("-f", "lavfi", "-i", "color=c=gray:s=16x16:r=10:d=3600", "-c:v", "libx264",
          "-preset", "ultrafast", "-g", "250", long)  # fmt: skip
    short = tmp_path / "short.mkv"
    fc.ff("-f", "lavfi", "-i", "color=c=gray:s=16x16:r=10:d=3", "-c:v", "libx264", short)
    big = vidseek("probe", "--json", str(long), cwd=tmp_path)
    small = vidseek("probe", "--json", str(short), cwd=tmp_path)
    assert big.rc == 0 and small.rc == 0, str(big)
    assert '"frame_count": 36000' in big.stdout
    assert big.max_rss_mb - small.max_rss_mb < 40, (big.max_rss_mb, small.max_rss_mb)


def test_audio_running_on_past_the_video_is_cut_at_its_end(tmp_path: Path, settings) -> None:
    """2 s of video with 60 s of sound: the WAV for speech holds the video's 2 s."""
    from vidseek.media.ffmpeg import extract_audio, wav_duration_s
    from vidseek.media.probe import probe

    video = tmp_path / "short_video_long_audio.mkv"
    fc.ff(*fc.src(2), *fc.tone(60), *fc.X264, "-c:a", "aac", video)
    info = probe(video, settings)
    assert info.duration_s == pytest.approx(2.0, abs=0.11)
    wav = extract_audio(video, tmp_path / "a.wav", max_duration_s=info.duration_s)
    assert wav is not None and wav_duration_s(wav) == pytest.approx(2.0, abs=0.05)
