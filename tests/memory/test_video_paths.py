"""Paths and content-addressed indexes (issue 15, items 2 and 7): byte-identical copies share
one index, ``info`` lists every known path, ``remove PATH`` drops only that path until the last
one goes, a copy that was never indexed is refused by name, and a Latin-1 file name is stored
byte for byte. Real clips (ffmpeg), real probe, real SQLite + chromadb; no models."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from vidseek.cli import main
from vidseek.config import Settings
from vidseek.media.probe import probe
from vidseek.memory.store import SegmentStore
from vidseek.memory.types import Segment
from vidseek.pathnames import path_key, printable

LATIN1 = os.fsdecode(b"caf\xe9 copy.mp4")


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[str, Path]:
    """One real 1 s clip and byte-identical copies of it: ``a``, ``latin1`` (a non-UTF-8 name)
    and ``stray`` (never indexed)."""
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed")
    d = tmp_path_factory.mktemp("copies")
    a = d / "a.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=96x64:rate=10", "-t", "1",
         "-pix_fmt", "yuv420p", str(a)],
        check=True,
    )  # fmt: skip
    out = {"a": a, "latin1": d / LATIN1, "stray": d / "stray.mp4"}
    for name in ("latin1", "stray"):
        shutil.copyfile(a, out[name])
    return out


def _index(settings: Settings, *paths: Path) -> str:
    """What the index pipeline records for each path: the probed video, a segment, done."""
    store = SegmentStore(settings)
    try:
        for p in paths:
            info = probe(p, settings)
            store.upsert_video(info)
            seg = Segment(
                f"{info.video_id}:clip:000000", info.video_id, "clip", 0.0, 1.0, 0, text="x"
            )
            store.upsert_segments([seg])
            store.mark_indexed(info.video_id)
        return info.video_id
    finally:
        store.close()


def _cli(settings: Settings, capsys, *args: str) -> tuple[int, str, str]:
    try:
        main(["--data-dir", str(settings.data_dir), *args])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_latin1_path_round_trips(clips: dict[str, Path], settings: Settings) -> None:
    vid = _index(settings, clips["latin1"])
    store = SegmentStore(settings)
    rec = store.find_video(clips["latin1"])
    assert rec is not None and rec.video_id == vid
    assert store.paths(vid) == [clips["latin1"].resolve()]
    assert path_key(rec.info.path) == path_key(clips["latin1"].absolute())  # the exact bytes
    assert rec.info.path.is_file()
    assert printable(rec.info.path).endswith("caf\\xe9 copy.mp4")
    store.close()


def test_copies_share_one_index_and_remove_path_by_path(
    clips: dict[str, Path], settings: Settings, capsys, monkeypatch
) -> None:
    from vidseek.cli.common import console

    monkeypatch.setattr(console, "width", 400)  # the table of `info` on one line per path
    vid = _index(settings, clips["a"], clips["latin1"])
    shown_a, shown_l = printable(clips["a"].resolve()), printable(clips["latin1"].resolve())

    code, out, _ = _cli(settings, capsys, "info", "--json", vid[:12])
    assert code == 0 and json.loads(out)["paths"] == [shown_a, shown_l]
    code, out, _ = _cli(settings, capsys, "info")
    assert code == 0 and shown_a in out and "caf\\xe9 copy.mp4" in out

    # a copy that was never indexed: refused by name, the shared index is untouched
    code, out, err = _cli(settings, capsys, "remove", "-y", str(clips["stray"]))
    assert code == 1 and out == ""
    assert err.startswith(f"error: {clips['stray']}: not indexed itself"), err
    assert shown_a in err and "nothing removed" in err and "--all-paths" in err

    # the copy the frames are decoded from goes: only its path, the index moves to the other one
    code, out, _ = _cli(settings, capsys, "remove", "-y", str(clips["a"]))
    assert code == 0, out
    assert out.strip() == (
        f"removed {shown_a} from the index of {vid[:12]}; the index stays for {shown_l}"
    )
    store = SegmentStore(settings)
    rec = store.get_video(vid)
    assert rec is not None and rec.indexed_at and store.count_segments(vid) == {"clip": 1}
    assert store.paths(vid) == [clips["latin1"].resolve()]
    assert path_key(rec.info.path) == path_key(clips["latin1"].resolve())
    store.close()
    code, out, _ = _cli(settings, capsys, "search", str(clips["latin1"]), "x", "--json", "-k", "1")
    assert code == 0 and json.loads(out)["video_id"] == vid

    # the last path takes the index with it, and says so
    code, out, _ = _cli(settings, capsys, "remove", "-y", str(clips["latin1"]))
    assert code == 0 and out.strip() == f"removed the index of {vid[:12]} (paths: {shown_l})"
    store = SegmentStore(settings)
    assert store.get_video(vid) is None and store.count_segments(vid) == {}
    store.close()
    assert all(p.is_file() for p in clips.values())  # video files are never touched


def test_all_paths_removes_the_shared_index(
    clips: dict[str, Path], settings: Settings, capsys
) -> None:
    vid = _index(settings, clips["a"], clips["latin1"])
    code, out, _ = _cli(settings, capsys, "remove", "-y", "--all-paths", str(clips["stray"]))
    assert code == 0
    assert out.strip().startswith(f"removed the index of {vid[:12]} (paths: ")
    assert "caf\\xe9 copy.mp4" in out
    store = SegmentStore(settings)
    assert store.list_videos() == [] and store.paths(vid) == []
    store.close()


def test_schema_1_database_gets_its_paths(clips: dict[str, Path], settings: Settings) -> None:
    """A database written before ``video_paths`` existed: its paths are recorded on open."""
    vid = _index(settings, clips["a"])
    db = settings.db_dir / "vidseek.sqlite"
    with sqlite3.connect(db) as con:
        con.execute("DELETE FROM video_paths")
        con.execute("UPDATE videos SET path=?", (str(clips["a"].resolve()),))
    store = SegmentStore(settings)
    assert store.paths(vid) == [clips["a"].resolve()]
    assert store.find_video(clips["a"]) is not None
    store.close()
