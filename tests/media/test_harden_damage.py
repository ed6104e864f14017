"""Issue 15 item 4: damaged but playable recordings decode (the rest of them), the skipped
frames are recorded as gaps, and only a file where nothing decodes is refused.

Two recordings as a user meets them: 250 frames with a garbled stretch in the middle, and a
fragmented MP4 whose last fragment was cut while being written. ffmpeg's own count of
decodable frames is the reference."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "faults"))
import fault_corpus as fc  # noqa: E402
from clirun import vidseek  # noqa: E402

DAMAGED = ("damaged_middle", "fragmented_cut")


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    cases = [c for c in fc.CASES if c.name in (*DAMAGED, "all_corrupt")]
    return fc.build(tmp_path_factory.mktemp("damaged"), cases)


def ffmpeg_decodable(path: Path) -> int:
    """Frames ffmpeg itself decodes (skipping what it cannot)."""
    out = subprocess.run(
        ["ffprobe", "-v", "quiet", "-select_streams", "v:0", "-count_frames",
         "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return int(out.strip().split(",")[0])


@pytest.mark.parametrize("case", DAMAGED)
@pytest.mark.parametrize("workers", [1, 2])
def test_damaged_recordings_decode_the_rest(files, case: str, workers: int, settings) -> None:
    from vidseek.media.parallel import iter_frame_batches
    from vidseek.media.probe import frame_times, probe

    path = files[case]
    info = probe(path, settings)
    times = [float(t) for t in frame_times(path)]  # every frame
    frames = [f for b in iter_frame_batches(path, times, settings, workers=workers,
                                           max_side=160) for f in b]  # fmt: skip
    assert len(frames) == len(times) == info.frame_count

    from vidseek.media.types import DecodeDamage

    damage = DecodeDamage()  # the same pass again, collecting what it skips
    for _ in iter_frame_batches(path, times, settings, workers=workers, max_side=160,
                                damage=damage):  # fmt: skip
        pass
    decoded = len({f.time_s for f in frames})
    reference = ffmpeg_decodable(path)
    assert reference < info.frame_count  # the file is damaged
    # every frame either decoded or is recorded as undecodable; as many as ffmpeg decodes
    assert decoded + len(damage) == info.frame_count
    assert abs(decoded - reference) <= 2, (decoded, reference)
    assert len(damage) > 0
    gaps = damage.gaps(1.0 / info.fps)
    assert gaps and all(a < b for a, b in gaps)
    if case == "damaged_middle":  # the garbled bytes sit in the middle of the file
        assert all(8.0 < a and b < 18.0 for a, b in gaps), gaps
    else:  # the cut is in the last fragment
        assert all(a > info.duration_s - 1.0 for a, _ in gaps), gaps
    # the frame on screen in a gap is the last one that decoded before it
    for f in frames:
        assert f.time_s <= f.requested_s + 1e-6


def test_nothing_decodable_is_refused(files, settings) -> None:
    from vidseek.errors import VideoError
    from vidseek.media.probe import probe

    with pytest.raises(VideoError, match="no frame can be decoded"):
        probe(files["all_corrupt"], settings)


def test_gaps_merge_neighbouring_frames() -> None:
    from vidseek.media.types import DecodeDamage, VideoInfo

    damage = DecodeDamage()
    damage.add([12.6, 12.7, 12.8, 13.9, 14.0])
    gaps = damage.gaps(0.1)
    assert gaps == ((12.6, 12.9), (13.9, 14.1))
    info = VideoInfo(Path("x.mp4"), "id", 25.0, 10.0, False, 320, 240, "h264", False,
                     gaps_s=[list(g) for g in gaps])  # fmt: skip
    assert info.gaps_s == gaps  # a JSON round trip gives lists: kept as tuples
    assert info.damaged_s == pytest.approx(0.5)


@pytest.mark.slow
def test_index_completes_on_damaged_recordings(files, tmp_path: Path) -> None:
    import json
    import sqlite3

    data = tmp_path / "data"
    models = {"VIDSEEK_MODELS": json.dumps({"detector": None, "ocr": None, "speech": None})}
    paths = [str(files[c]) for c in DAMAGED]
    run = vidseek("--data-dir", str(data), "index", "--no-progress", *paths, cwd=tmp_path,
                  env=models)  # fmt: skip
    assert run.rc == 0, str(run)
    assert "undecodable frame(s) skipped" in run.stderr
    with sqlite3.connect(data / "db" / "vidseek.sqlite") as con:
        rows = con.execute("SELECT indexed_at FROM videos").fetchall()
    assert len(rows) == 2 and all(r[0] for r in rows)
