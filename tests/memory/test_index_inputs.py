"""What ``vidseek index`` is given: folders stand for the videos under them, and the engine flags
reach the Settings (the engines themselves are tested in test_ray_engine and test_builder)."""

from __future__ import annotations

from pathlib import Path

import pytest

from vidseek.cli import main
from vidseek.errors import VideoError
from vidseek.media.listing import expand_video_paths


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    return path


def test_folders_expand_to_their_videos_once_in_order(tmp_path):
    a = _touch(tmp_path / "lib" / "b.mp4")
    b = _touch(tmp_path / "lib" / "season1" / "a.MKV")
    _touch(tmp_path / "lib" / "notes.txt")
    _touch(tmp_path / "lib" / ".cache" / "hidden.mp4")
    single = _touch(tmp_path / "one.avi")
    missing = tmp_path / "gone.mp4"
    got = expand_video_paths([single, tmp_path / "lib", a, missing])
    assert got == [single, a, b, missing]  # a missing file is left for the engine to report


def test_a_folder_without_videos_is_refused(tmp_path):
    _touch(tmp_path / "empty" / "readme.md")
    with pytest.raises(VideoError, match="is a directory with no videos in it"):
        expand_video_paths([tmp_path / "empty"])


def test_engine_flags_reach_the_settings(monkeypatch, tmp_path, capsys):
    import vidseek.memory.builder as builder

    seen = []
    monkeypatch.setattr(builder, "index_many", lambda videos, settings, **kw: seen.append(settings))
    argv = ["--data-dir", str(tmp_path / "d"), "index", str(tmp_path), "--no-progress"]
    main([*argv, "--engine", "ray", "--ray-address", "auto"])
    main(argv)
    assert seen[0].cluster.engine == "ray" and seen[0].cluster.ray_address == "auto"
    assert seen[1].cluster.engine == "local" and seen[1].cluster.ray_address is None
    with pytest.raises(SystemExit) as exc:
        main([*argv, "--ray-address", "auto"])
    assert exc.value.code == 2 and "--ray-address needs --engine ray" in capsys.readouterr().err
