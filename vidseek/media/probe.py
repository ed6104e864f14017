"""Video probing: what a file holds (duration, frame rate, size, keyframes) and its content hash.

Probing also validates the input, so that every later stage can trust the file: missing paths,
directories, FIFOs, link loops, empty or truncated files, non-video files, audio-only files,
files whose frames cannot be decoded at all, huge resolutions and durations beyond the
configured limits all raise :class:`~vidseek.errors.VideoError` with one line naming the file
and the problem.

Paths are made absolute once, here, and kept that way: libav reads ``concat:x`` or ``file:x``
as a protocol and ffmpeg's tools read ``-report`` as an option, while ``/dir/-report`` and
``/dir/concat:x`` are only ever file names. ``absolute()`` keeps the name (and any symbolic
link) the user gave; nothing is resolved.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import subprocess
from pathlib import Path

import numpy as np

from vidseek.config import Settings
from vidseek.errors import VideoError
from vidseek.media import orient
from vidseek.media.packets import (
    PLAYLIST_FORMATS,
    av_error_text,
    frame_times,
    open_container,
    read_index,
    stream_kinds,
    video_stream,
)
from vidseek.media.types import VideoInfo

log = logging.getLogger(__name__)

__all__ = ["check_path", "frame_times", "probe", "video_id"]

_MIB = 1 << 20
# frame durations that differ by more than this fraction of the median mean variable frame rate
_VFR_TOLERANCE = 0.02
# a container whose header claims this much more than its frames span gets a warning
_CLAIM_SLACK_S = 60.0


def video_id(path: str | Path) -> str:
    """sha256 of (file size, first MiB, last MiB): a content id that is cheap even for huge files."""
    p = Path(path)
    size = p.stat().st_size
    h = hashlib.sha256()
    h.update(str(size).encode())
    with p.open("rb") as fh:
        h.update(fh.read(_MIB))
        if size > _MIB:
            fh.seek(max(size - _MIB, 0))
            h.update(fh.read(_MIB))
    return h.hexdigest()


def check_path(path: str | Path) -> Path:
    """The absolute path of a file that can be a video; fail early, with a clear message, on
    paths that cannot be one."""
    p = Path(path).expanduser().absolute()
    if p.is_symlink() and not p.exists():
        try:
            p.stat()
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise VideoError(p, "is a symbolic link loop") from None
        raise VideoError(p, f"is a broken symbolic link (to {os.readlink(p)})")
    if not p.exists():
        raise VideoError(p, "no such file")
    if p.is_dir():
        raise VideoError(p, "is a directory, not a video file")
    if not p.is_file():
        kind = "a named pipe (FIFO)" if p.is_fifo() else "a device or socket"
        raise VideoError(p, f"is {kind}, not a regular file")
    if p.stat().st_size == 0:
        raise VideoError(p, "is an empty file (0 bytes)")
    if not os.access(p, os.R_OK):
        raise VideoError(p, "cannot be read (permission denied)")
    return p


# container signatures: a file that starts like a video but cannot be opened is cut or corrupt
_MAGIC = ((4, b"ftyp"), (0, b"\x1aE\xdf\xa3"), (0, b"RIFF"), (0, b"FLV"), (0, b"OggS"))
# libav reads single pictures as one-frame videos: they are not videos
_STILL_FORMATS = ("image2", "_pipe")


def _looks_like_video(head: bytes) -> bool:
    ts = len(head) > 188 and head[0] == 0x47 and head[188] == 0x47  # MPEG-TS sync bytes
    return ts or any(head[o : o + len(m)] == m for o, m in _MAGIC)


def _unreadable(path: Path, exc: Exception) -> str:
    """Why libav cannot open a file, in words (ffprobe's own line names the cause)."""
    with path.open("rb") as fh:
        head = fh.read(189)
    looks_like_video = _looks_like_video(head)
    reason = av_error_text(exc)
    try:
        res = subprocess.run(
            # absolute: never read as an option; local file only: never fetches what it names
            ["ffprobe", "-v", "error", "-protocol_whitelist", "file", "-i", str(path)],
            capture_output=True,
            text=True,
            timeout=30,
            cwd=path.parent,
        )
        lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
        if lines:
            reason = lines[0].split("] ", 1)[-1].split(f"{path}: ")[-1].strip()
    except (OSError, subprocess.TimeoutExpired):
        pass
    if looks_like_video:
        return f"truncated or corrupt video file ({reason})"
    return f"not a readable video file ({reason})"


class _FirstFrame:
    """Decodes packets until the first frame comes out: it proves the video decodes at all and
    carries the display matrix (libav copies the stream's matrix onto frames)."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.frame = None
        self.failures = 0
        self.error = ""
        stream.codec_context.thread_count = 1

    def __call__(self, packet) -> None:
        if self.frame is not None:
            return
        self._decode(packet)

    def _decode(self, packet) -> None:
        import av

        try:
            frames = self.stream.decode(packet)
        except av.error.FFmpegError as exc:
            self.failures += 1
            self.error = av_error_text(exc)
            return
        if frames:
            self.frame = frames[0]

    def flush(self) -> None:
        if self.frame is None:
            self._decode(None)


def _hms(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def probe(path: str | Path, settings: Settings) -> VideoInfo:
    """Read a file's container and packet index and return its :class:`VideoInfo`.

    Keyframe times and frame count come from the packet index, which reads the whole file but
    decodes only the first frame (about 0.1 s per 10k frames); it also exposes truncated files
    whose header promises more frames than the file holds, and joined files whose timestamps
    restart in the middle.
    """
    import av

    p = check_path(path)
    try:
        container = open_container(p)
    except av.error.FFmpegError as exc:
        raise VideoError(p, _unreadable(p, exc)) from None
    try:
        fmt = container.format.name or ""
        if set(fmt.split(",")) & PLAYLIST_FORMATS:
            raise VideoError(p, f"is a playlist ({fmt}), not a video file")
        stream = video_stream(container)
        if stream is None:
            found = ", ".join(stream_kinds(container))
            raise VideoError(p, f"has no video stream (found: {found})")
        if any(f in fmt for f in _STILL_FORMATS) and not container.streams.audio:
            raise VideoError(p, f"is a still image ({stream.codec_context.name}), not a video")
        ctx = stream.codec_context
        width, height = int(ctx.width or 0), int(ctx.height or 0)
        if width <= 0 or height <= 0:
            raise VideoError(p, "video stream has no frame size (corrupt or unsupported)")
        if width * height > settings.media.max_pixels:
            raise VideoError(
                p,
                f"resolution {width}x{height} is too large "
                f"(more than media.max_pixels = {settings.media.max_pixels} pixels)",
            )
        has_audio = bool(container.streams.audio)
        first = _FirstFrame(stream)
        index = read_index(container, stream, p, on_packet=first)
        first.flush()
        if first.frame is None:
            why = f" ({first.error})" if first.error else ""
            raise VideoError(p, f"no frame can be decoded: corrupt video data{why}")
        orientation = orient.of_frame(first.frame)
        declared = stream.frames or 0
        n = len(index.times_s)
        if declared and n < 0.98 * declared - 1:
            raise VideoError(p, f"truncated file: only {n} of {declared} frames are present")
        codec = ctx.name or "unknown"
        claimed_s = container.duration / 1e6 if container.duration else None
    finally:
        container.close()

    times = index.times_s
    gaps = np.diff(times)
    if gaps.size:
        median_gap = float(np.median(gaps))
        is_vfr = bool(np.max(np.abs(gaps - median_gap)) > _VFR_TOLERANCE * max(median_gap, 1e-9))
        last_dur = index.last_duration_s or median_gap
    else:
        is_vfr, last_dur = False, index.last_duration_s
    duration = round(float(times[-1] + last_dur), 6)
    if duration > settings.media.max_duration_s:
        raise VideoError(
            p,
            f"duration {_hms(duration)} is longer than media.max_duration_s = "
            f"{settings.media.max_duration_s:g} s",
        )
    fps = len(times) / duration if duration > 0 else float(stream.average_rate or 0)
    warnings: list[str] = []
    if index.discontinuities_s:
        at = ", ".join(f"{t:.2f}" for t in index.discontinuities_s[:5])
        warnings.append(
            f"timestamps restart {len(index.discontinuities_s)} time(s) (at {at} s): "
            "the parts are laid end to end"
        )
    if claimed_s and claimed_s > max(2 * duration, duration + _CLAIM_SLACK_S):
        warnings.append(
            f"the container claims {_hms(claimed_s)} but its frames span {_hms(duration)}"
        )
    if index.demux_errors:
        warnings.append(f"{index.demux_errors} unreadable stretch(es) of the file were skipped")
    if first.failures:
        warnings.append(f"{first.failures} packet(s) before the first picture are undecodable")
    for w in warnings:  # info.warnings carries them to the CLI; the log is for --debug
        log.info("%s: %s", p, w)
    if orientation.swaps_axes:
        width, height = height, width
    return VideoInfo(
        path=p,
        video_id=video_id(p),
        duration_s=duration,
        fps=round(fps, 6),
        is_vfr=is_vfr,
        width=width,
        height=height,
        codec=codec,
        has_audio=has_audio,
        keyframes_s=index.keyframes_s,
        frame_count=len(times),
        rotation=orientation.rotation,
        mirrored=orientation.mirror,
        discontinuities_s=index.discontinuities_s,
        warnings=tuple(warnings),
    )
