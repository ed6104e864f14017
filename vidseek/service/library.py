"""The library: the indexed videos, their files and thumbnails, adding by path or by upload.

Only files that are indexed are ever served, found by their content id (never by a path from the
request); a path may be added only inside ``serve.media_roots`` (or anywhere when the server
listens on loopback and no roots are set). Uploads are written under ``<data_dir>/uploads`` with a
name the service chooses, counted against ``serve.max_upload_mb`` while they arrive, and probed
before they are accepted.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import uuid
from pathlib import Path

from vidseek.config import Settings
from vidseek.errors import VideoError
from vidseek.media.types import VideoInfo
from vidseek.memory.store import SegmentStore, VideoRecord
from vidseek.service.errors import ForbiddenError, InputError, NotFoundError, TooLargeError
from vidseek.service.types import VideoSummary

log = logging.getLogger(__name__)

VIDEO_ID = re.compile(r"[0-9a-f]{8,64}")
VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".ts")
THUMB_SIDES = (160, 320, 640)


def check_video_id(video_id: str) -> str:
    """A video id (or a prefix of one, at least 8 hex digits); anything else is refused before it
    reaches a query or a path."""
    if not isinstance(video_id, str) or not VIDEO_ID.fullmatch(video_id):
        raise InputError(f"{video_id!r}: not a video id (8 to 64 lowercase hex digits)")
    return video_id


def safe_name(filename: str) -> str:
    """The part of an uploaded file's name that is kept: no folders, only plain characters."""
    base = Path(str(filename).replace("\\", "/")).name
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._") or "upload"
    return base[-80:]


class Upload:
    """One upload in progress: bytes go to a ``.part`` file, counted against the limit."""

    def __init__(self, path: Path, name: str, max_bytes: int, settings: Settings) -> None:
        self.part = path
        self.name = name
        self.max_bytes = max_bytes
        self.settings = settings
        self.size = 0
        self._fh = path.open("wb")

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            self.abort()
            raise TooLargeError(
                f"{self.name}: upload is larger than the limit of {self.max_bytes / 2**20:.0f} MiB"
                " (serve.max_upload_mb)"
            )
        self._fh.write(chunk)

    def abort(self) -> None:
        if not self._fh.closed:
            self._fh.close()
        self.part.unlink(missing_ok=True)

    def finish(self) -> Path:
        """Probe the file; a file that is not a readable video is deleted and refused."""
        from vidseek.media.probe import probe

        self._fh.close()
        try:
            info = probe(self.part, self.settings)
        except VideoError as exc:
            self.part.unlink(missing_ok=True)
            raise InputError(f"{self.name}: {exc.problem}") from None
        final = self.part.with_name(f"{info.video_id[:16]}-{self.name}")
        self.part.replace(final)
        return final


class Library:
    """The indexed videos of one data dir (thread-safe: the store serialises its writes)."""

    def __init__(self, settings: Settings, store: SegmentStore, loopback: bool = True) -> None:
        self.settings = settings
        self.store = store
        self.loopback = loopback
        self._thumb_lock = threading.Lock()

    @property
    def uploads_dir(self) -> Path:
        return Path(self.settings.data_dir) / "uploads"

    # --- reading --------------------------------------------------------------------------

    def videos(self) -> list[VideoSummary]:
        return [self.summary(r) for r in self.store.list_videos()]

    def record(self, video_id: str) -> VideoRecord:
        """The video with this id (or unique id prefix)."""
        check_video_id(video_id)
        rec = self.store.get_video(video_id)
        if rec is None:
            matches = [r for r in self.store.list_videos() if r.video_id.startswith(video_id)]
            if len(matches) > 1:
                raise InputError(f"{video_id}: matches {len(matches)} videos; give more digits")
            rec = matches[0] if matches else None
        if rec is None:
            raise NotFoundError(f"{video_id}: no such video in the library")
        return rec

    def summary(self, rec: VideoRecord) -> VideoSummary:
        info = rec.info
        return VideoSummary(
            video_id=rec.video_id,
            name=Path(info.path).name,
            path=str(info.path),
            duration_s=info.duration_s,
            width=info.width,
            height=info.height,
            fps=info.fps,
            has_audio=info.has_audio,
            complete=rec.indexed_at is not None,
            indexed_at=rec.indexed_at,
            models=dict(rec.models),
            segments=self.store.count_segments(rec.video_id),
        )

    def media_path(self, video_id: str) -> Path:
        """The file of an indexed video, for the player (found by id, never by a given path)."""
        rec = self.record(video_id)
        path = Path(rec.info.path)
        if not path.is_file():
            raise NotFoundError(f"{path}: the video file is no longer there (moved or deleted)")
        return path

    def thumbnail(self, video_id: str, time_s: float | None = None, max_side: int = 320) -> Path:
        """A JPEG of the frame at ``time_s`` (default: a tenth into the video), cached beside
        the video's other artefacts."""
        from vidseek.media.crops import save_jpeg, thumbnail

        rec = self.record(video_id)
        if max_side not in THUMB_SIDES:
            raise InputError(f"thumbnail size {max_side}: choose one of {THUMB_SIDES}")
        dur = float(rec.info.duration_s)
        t = dur * 0.1 if time_s is None else float(time_s)
        if not math.isfinite(t):
            raise InputError(f"time {time_s!r} is not a number of seconds")
        t = min(max(t, 0.0), max(dur - 0.05, 0.0))
        out = (
            self.store.video_dir(rec.video_id) / "thumbs" / f"{round(t * 1000):010d}-{max_side}.jpg"
        )
        if out.is_file():
            return out
        src = self.media_path(rec.video_id)
        with self._thumb_lock:
            if not out.is_file():
                try:
                    image = thumbnail(src, t, self.settings, max_side=max_side)
                except VideoError as exc:
                    raise NotFoundError(f"{src}: no frame at {t:.2f} s ({exc.problem})") from None
                tmp = out.with_suffix(f".{uuid.uuid4().hex[:6]}.part")
                save_jpeg(image, tmp, quality=85)
                tmp.replace(out)
        return out

    # --- changing ---------------------------------------------------------------------------

    def remove(self, video_id: str) -> VideoSummary:
        """Delete a video's index and artefacts; the video file itself is kept (an upload too)."""
        rec = self.record(video_id)
        summary = self.summary(rec)
        self.store.remove(rec.video_id)
        return summary

    def check_new_path(self, path: str) -> tuple[Path, VideoInfo]:
        """A path someone asks to index: inside a media root (or anywhere on loopback when no
        roots are set), a readable video. Probed now so a bad file is refused before a job."""
        from vidseek.media.probe import probe

        if not isinstance(path, str) or not path.strip():
            raise InputError("give the path of a video file")
        p = Path(path.strip()).expanduser()
        if not p.is_absolute():
            raise InputError(f"{path}: give an absolute path")
        p = p.resolve()
        roots = [Path(r).expanduser().resolve() for r in self.settings.serve.media_roots]
        roots.append(self.uploads_dir.resolve())
        inside = any(p.is_relative_to(r) for r in roots)
        if not inside and (self.settings.serve.media_roots or not self.loopback):
            where = ", ".join(str(r) for r in roots[:-1]) or "none are set"
            raise ForbiddenError(
                f"{p}: not inside a media root (serve.media_roots: {where}); upload the file instead"
            )
        try:
            info = probe(p, self.settings)
        except VideoError as exc:
            raise InputError(str(exc)) from None
        return p, info

    def begin_upload(self, filename: str, declared_size: int | None = None) -> Upload:
        """Start receiving an upload; refused at once when its declared size is over the limit
        or its name does not end like a video."""
        name = safe_name(filename)
        if not name.lower().endswith(VIDEO_SUFFIXES):
            raise InputError(
                f"{name}: not a video file name (expected one of {', '.join(VIDEO_SUFFIXES)})"
            )
        max_bytes = int(self.settings.serve.max_upload_mb * 2**20)
        if declared_size is not None and declared_size > max_bytes:
            raise TooLargeError(
                f"{name}: {declared_size / 2**20:.0f} MiB is over the upload limit of "
                f"{max_bytes / 2**20:.0f} MiB (serve.max_upload_mb)"
            )
        self.uploads_dir.mkdir(parents=True, exist_ok=True)
        part = self.uploads_dir / f".{uuid.uuid4().hex}.part"
        return Upload(part, name, max_bytes, self.settings)
