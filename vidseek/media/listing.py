"""Which files a list of paths names: a folder stands for every video in it (recursively), so
``vidseek index DIR`` indexes a whole archive. A file path is passed on as it is (a missing or
broken one is reported by the engine, and the other videos still run)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from vidseek.errors import VideoError

VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".ts")


def _videos_in(folder: Path) -> list[Path]:
    found = [
        p
        for p in folder.rglob("*")
        if p.is_file()
        and p.suffix.lower() in VIDEO_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    ]
    return sorted(found)


def expand_video_paths(paths: Sequence[str | Path]) -> list[Path]:
    """Files as given, folders as the videos under them (sorted, hidden folders skipped), each
    once and in order. A folder without videos is a ``VideoError`` (before any work starts)."""
    out: list[Path] = []
    seen: set[str] = set()
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            found = _videos_in(path)
            if not found:
                raise VideoError(
                    path.absolute(),
                    f"is a directory with no videos in it ({', '.join(VIDEO_SUFFIXES)})",
                )
        else:
            found = [path]
        for p in found:
            key = os.path.realpath(p)  # never raises (a symlink loop is the engine's to report)
            if key not in seen:
                seen.add(key)
                out.append(p)
    return out
