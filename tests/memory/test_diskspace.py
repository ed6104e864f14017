"""A nearly full data-dir disk: ``doctor`` warns, ``index`` warns or refuses before any work
(``shutil.disk_usage`` is faked; the clip, probe, store and CLI are real)."""

from __future__ import annotations

import logging
import shutil
import sqlite3
import subprocess
from collections import namedtuple
from pathlib import Path

import pytest

from vidseek.cli import main
from vidseek.config import Settings
from vidseek.memory.diskspace import MB, check_room_to_index, index_need_mb

Usage = namedtuple("Usage", "total used free")


def _free(monkeypatch, free_mb: float, total_mb: float = 100_000.0) -> None:
    usage = Usage(int(total_mb * MB), int((total_mb - free_mb) * MB), int(free_mb * MB))
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage)


def test_doctor_warns_when_the_data_dir_disk_is_nearly_full(settings, monkeypatch, capsys):
    import vidseek.doctor as doctor

    _free(monkeypatch, 50_000.0)
    (check,) = doctor.check_disk(settings)
    assert check.ok and "48.8 GB free" in check.detail

    _free(monkeypatch, 900.0)
    (check,) = doctor.check_disk(settings)
    assert not check.ok and not check.required
    assert "nearly full: 900 MB free" in check.detail and "index.disk_warn_free_mb" in check.detail

    # configurable: a lower threshold accepts the same disk
    (check,) = doctor.check_disk(settings.model_copy(update={"index": settings.index.model_copy(
        update={"disk_warn_free_mb": 512.0})}))  # fmt: skip
    assert check.ok

    # the command shows the warning and still succeeds (it is not a required check)
    for name in ("check_tools", "check_packs", "check_llm_server"):
        monkeypatch.setattr(doctor, name, lambda *a: [])
    decoding = doctor.Check("pyav", "decode backend", True, "decoded a test clip")
    monkeypatch.setattr(doctor, "check_backends", lambda *a: [decoding])
    try:
        main(["--data-dir", str(settings.data_dir), "doctor"])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr().out
    assert code == 0 and "data dir disk" in out and "nearly full" in out


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed")
    out = tmp_path_factory.mktemp("disk") / "ten_minutes.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=gray:size=32x32:rate=1",
         "-t", "600", "-pix_fmt", "yuv420p", str(out)],
        check=True,
    )  # fmt: skip
    return out


def test_index_refuses_before_any_work_when_the_index_would_not_fit(
    clip: Path, settings: Settings, monkeypatch, capsys
) -> None:
    need = index_need_mb(600.0, settings)
    assert need == pytest.approx(64.0 + 80.0)
    _free(monkeypatch, need - 1)
    try:
        main(["--data-dir", str(settings.data_dir), "index", "--no-progress", str(clip)])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert code == 1 and len(err) == 1, err
    assert err[0].startswith(f"error: {clip}: not enough free disk space to index it: about 144 MB")
    assert "143 MB free" in err[0]
    db = settings.db_dir / "vidseek.sqlite"
    if db.exists():
        with sqlite3.connect(db) as con:
            assert con.execute("SELECT COUNT(*) FROM videos").fetchone() == (0,)
    videos = settings.videos_dir
    assert not videos.exists() or list(videos.iterdir()) == []


def test_index_warns_when_it_fits_but_the_disk_is_nearly_full(
    clip: Path, settings: Settings, monkeypatch, caplog
) -> None:
    _free(monkeypatch, 1000.0)
    with caplog.at_level(logging.WARNING, logger="vidseek.memory.diskspace"):
        space = check_room_to_index(clip, 600.0, settings)
    assert space.free_mb == 1000.0
    assert [r.getMessage() for r in caplog.records][0].startswith("the disk of the data dir ")
    _free(monkeypatch, 5000.0)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="vidseek.memory.diskspace"):
        check_room_to_index(clip, 600.0, settings)
    assert caplog.records == []
