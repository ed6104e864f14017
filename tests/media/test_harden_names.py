"""Issue 15 item 1: file names that look like options (``-report``) or libav protocols
(``concat:``, ``file:``) are only ever file names: probe, decode, the ffprobe/ffmpeg audio
extraction and the index all take them by relative name, and nothing appears in the cwd
(``ffprobe -report`` would write a log there)."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "faults"))
import fault_corpus as fc  # noqa: E402
from clirun import listing, vidseek  # noqa: E402

NAMES = [
    "-report.mp4",
    "-report",
    "-dash_start.mp4",
    "concat:a.mp4",
    "file:b.mp4",
    'it\'s a "clip" $(touch pwned);x.mp4',
    "two\nlines.mp4",
    "vidéo 日本語 🎬.mp4",
]


@pytest.fixture(scope="module")
def odd_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("odd names")
    for name in NAMES:  # H.264 + AAC, 2 s; the title makes each file's content its own
        fc.h264(d / name, seconds=2, extra=("-metadata", f"title={name}", "-f", "mp4"))
    return d


def test_probe_decode_and_audio_by_relative_name(odd_dir: Path, settings, monkeypatch, tmp_path):
    from vidseek.media.ffmpeg import extract_audio, wav_duration_s
    from vidseek.media.frames import frames_at
    from vidseek.media.parallel import iter_frame_batches
    from vidseek.media.probe import probe

    monkeypatch.chdir(odd_dir)
    before = listing(odd_dir)
    for name in NAMES:
        rel = f"./{name}"
        info = probe(rel, settings)
        assert (info.frame_count, info.has_audio, info.width) == (20, True, 320)
        frames = frames_at(rel, [0.0, 1.5], settings)
        assert [f.time_s for f in frames] == [0.0, 1.5]
        batches = iter_frame_batches(rel, [0.0, 0.5, 1.0, 1.5], settings, workers=2)
        assert [f.time_s for b in batches for f in b] == [0.0, 0.5, 1.0, 1.5]
        wav = extract_audio(Path(rel), tmp_path / "a.wav")  # ffprobe, then ffmpeg, by name
        assert wav is not None and abs(wav_duration_s(wav) - 2.0) < 0.1
        assert info.path == odd_dir / name  # absolute, the name kept
    assert listing(odd_dir) == before, "a tool wrote into the working directory"


@pytest.mark.slow
def test_index_by_odd_names_with_speech(odd_dir: Path, tmp_path: Path) -> None:
    """The real CLI indexes every odd name (speech on: the audio goes through ffprobe and
    ffmpeg by file name) and leaves no file in the working directory."""
    before = listing(odd_dir)
    models = {"VIDSEEK_MODELS": json.dumps({"detector": None, "ocr": None})}
    data = tmp_path / "data"
    run = vidseek("--data-dir", str(data), "index", "--no-progress",
                  *[f"./{n}" for n in NAMES], cwd=odd_dir, env=models)  # fmt: skip
    assert run.rc == 0, str(run)
    assert "Traceback" not in run.stderr
    with sqlite3.connect(data / "db" / "vidseek.sqlite") as con:
        rows = con.execute("SELECT video_id, indexed_at FROM videos").fetchall()
        speech = con.execute(
            "SELECT COUNT(*) FROM stages WHERE stage='speech' AND status='done'"
        ).fetchone()[0]
    assert len(rows) == len(NAMES) and all(r[1] for r in rows)
    assert speech == len(NAMES)
    assert listing(odd_dir) == before, "the index wrote into the working directory"
