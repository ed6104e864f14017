"""Free space on the data dir's disk: ``doctor`` warns when it is nearly full, and ``index``
refuses a video before any work when the estimate of its index does not fit (a full disk in the
middle of a write stage would waste the run and may damage the database)."""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

from vidseek.config import Settings
from vidseek.errors import VideoError
from vidseek.pathnames import printable

log = logging.getLogger(__name__)

MB = 1024 * 1024
_RESERVE_MB = 64.0  # SQLite WAL, chroma segments and logs of even a tiny video


@dataclass(frozen=True)
class DiskSpace:
    """Where the data dir lives and how much room its disk has."""

    path: Path  # the data dir, or its nearest existing parent
    free_mb: float
    total_mb: float


def disk_space(settings: Settings) -> DiskSpace:
    """Free and total space of the disk that holds (or will hold) the data dir."""
    path = Path(settings.data_dir).absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    usage = shutil.disk_usage(path)
    return DiskSpace(path, usage.free / MB, usage.total / MB)


def index_need_mb(duration_s: float, settings: Settings) -> float:
    """Estimated disk use of indexing a video of ``duration_s`` seconds."""
    return _RESERVE_MB + settings.index.disk_mb_per_min * max(0.0, duration_s) / 60.0


def low_space_warning(space: DiskSpace, settings: Settings) -> str:
    """A warning when the data dir's disk is nearly full ("" when there is room)."""
    if space.free_mb >= settings.index.disk_warn_free_mb:
        return ""
    return (
        f"the disk of the data dir {printable(space.path)} is nearly full: {space.free_mb:.0f} MB "
        f"free of {space.total_mb:.0f} MB (warning below {settings.index.disk_warn_free_mb:.0f} "
        "MB, index.disk_warn_free_mb)"
    )


def check_room_to_index(video: Path, duration_s: float, settings: Settings) -> DiskSpace:
    """Refuse ``video`` when its estimated index does not fit on the data dir's disk; warn
    when the disk is nearly full. Called after probing, before anything is written."""
    space = disk_space(settings)
    need = index_need_mb(duration_s, settings)
    if space.free_mb < need:
        raise VideoError(
            video,
            f"not enough free disk space to index it: about {need:.0f} MB needed "
            f"({duration_s / 60:.1f} min of video), {space.free_mb:.0f} MB free on the disk of "
            f"{printable(space.path)}; free some space or use another --data-dir",
        )
    warning = low_space_warning(space, settings)
    if warning:
        log.warning("%s", warning)
    return space
