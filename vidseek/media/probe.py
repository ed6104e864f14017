"""Video probing: what a file holds (duration, frame rate, size, keyframes) and its content hash.

Probing also validates the input, so that every later stage can trust the file: missing paths,
directories, empty or truncated files, non-video files, audio-only files and huge resolutions all
raise :class:`~vidseek.errors.VideoError` with one line naming the file and the problem.
"""

from __future__ import annotations

import hashlib
import logging
import subprocess
from fractions import Fraction
from pathlib import Path

import numpy as np

from vidseek.config import Settings
from vidseek.errors import VideoError
from vidseek.media.types import VideoInfo

log = logging.getLogger(__name__)

_MIB = 1 << 20
# frame durations that differ by more than this fraction of the median mean variable frame rate
_VFR_TOLERANCE = 0.02


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
    """Fail early, with a clear message, on paths that cannot be a video file."""
    p = Path(path).expanduser()
    if not p.exists():
        raise VideoError(p, "no such file")
    if p.is_dir():
        raise VideoError(p, "is a directory, not a video file")
    if not p.is_file():
        raise VideoError(p, "is not a regular file")
    if p.stat().st_size == 0:
        raise VideoError(p, "is an empty file (0 bytes)")
    return p


def _av_error_text(exc: Exception) -> str:
    text = str(exc).strip()
    # PyAV appends "'<path>'" to its messages; the path is already in front of ours
    if ": '" in text:
        text = text.split(": '")[0]
    return text.replace("\n", " ")


def frame_times(path: str | Path) -> np.ndarray:
    """Presentation times (s, float64, sorted, relative to the stream start) of every frame, from
    the packet index (no decoding). Exact where decord's own float32 timestamps are not."""
    import av

    p = check_path(path)
    try:
        with av.open(str(p), metadata_errors="ignore") as container:
            stream = container.streams.video[0]
            tb = float(stream.time_base)
            start = stream.start_time
            pts = [pk.pts for pk in container.demux(stream) if pk.pts is not None and pk.size > 0]
    except (av.error.FFmpegError, IndexError) as exc:
        raise VideoError(p, f"cannot read the packet index ({exc})") from None
    if not pts:
        raise VideoError(p, "video stream holds no frames (truncated or corrupt file)")
    order = np.sort(np.asarray(pts, dtype=np.int64))
    base = min(int(order[0]), int(start)) if start is not None else int(order[0])
    return np.round((order - base).astype(np.float64) * tb, 6)


# container signatures: a file that starts like a video but cannot be opened is cut or corrupt
_MAGIC = ((4, b"ftyp"), (0, b"\x1aE\xdf\xa3"), (0, b"RIFF"), (0, b"FLV"), (0, b"OggS"))


def _unreadable(path: Path, exc: Exception) -> str:
    """Why libav cannot open a file, in words (ffprobe's own line names the cause)."""
    with path.open("rb") as fh:
        head = fh.read(16)
    looks_like_video = any(head[o : o + len(m)] == m for o, m in _MAGIC)
    reason = _av_error_text(exc)
    try:
        res = subprocess.run(
            ["ffprobe", "-v", "error", str(path)], capture_output=True, text=True, timeout=30
        )
        lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
        if lines:
            reason = lines[0].split("] ", 1)[-1].split(f"{path}: ")[-1].strip()
    except (OSError, subprocess.TimeoutExpired):
        pass
    if looks_like_video:
        return f"truncated or corrupt video file ({reason})"
    return f"not a readable video file ({reason})"


def probe(path: str | Path, settings: Settings) -> VideoInfo:
    """Read a file's container and packet index (no decoding) and return its :class:`VideoInfo`.

    Keyframe times and frame count come from the packet index, which reads the whole file but
    decodes nothing (about 0.1 s per 10k frames); it also exposes truncated files whose header
    promises more frames than the file holds.
    """
    import av

    p = check_path(path)
    try:
        container = av.open(str(p), metadata_errors="ignore")
    except av.error.FFmpegError as exc:
        raise VideoError(p, _unreadable(p, exc)) from None
    try:
        if not container.streams.video:
            kinds = sorted({s.type for s in container.streams}) or ["no streams"]
            raise VideoError(p, f"has no video stream (found: {', '.join(kinds)})")
        stream = container.streams.video[0]
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
        tb = stream.time_base or Fraction(1, 1_000_000)
        start_pts = stream.start_time if stream.start_time is not None else 0
        has_audio = bool(container.streams.audio)
        pts: list[int] = []
        durations: list[int] = []
        keys: list[int] = []
        try:
            for packet in container.demux(stream):
                if packet.pts is None or packet.size == 0:
                    continue
                pts.append(packet.pts)
                durations.append(packet.duration or 0)
                if packet.is_keyframe:
                    keys.append(packet.pts)
        except av.error.FFmpegError as exc:
            raise VideoError(p, f"corrupt or truncated video ({_av_error_text(exc)})") from None
        if not pts:
            raise VideoError(p, "video stream holds no frames (truncated or corrupt file)")
        declared = stream.frames or 0
        if declared and len(pts) < 0.98 * declared - 1:
            raise VideoError(p, f"truncated file: only {len(pts)} of {declared} frames are present")
        codec = ctx.name or "unknown"
    finally:
        container.close()

    order = np.sort(np.asarray(pts, dtype=np.int64))
    first = int(order[0])
    base = min(first, int(start_pts))
    times = (order - base).astype(np.float64) * float(tb)
    gaps = np.diff(times)
    if gaps.size:
        median_gap = float(np.median(gaps))
        is_vfr = bool(np.max(np.abs(gaps - median_gap)) > _VFR_TOLERANCE * max(median_gap, 1e-9))
        last_dur = float(durations[int(np.argmax(pts))]) * float(tb) or median_gap
    else:
        median_gap, is_vfr = 0.0, False
        last_dur = float(durations[0]) * float(tb) if durations[0] else 0.0
    duration = float(times[-1] + last_dur)
    fps = len(times) / duration if duration > 0 else float(stream.average_rate or 0)
    keyframes = tuple(sorted(round((k - base) * float(tb), 6) for k in keys))
    if not keyframes or keyframes[0] > times[0] + 1e-6:
        keyframes = (round(float(times[0]), 6), *keyframes)
    return VideoInfo(
        path=p,
        video_id=video_id(p),
        duration_s=round(duration, 6),
        fps=round(fps, 6),
        is_vfr=is_vfr,
        width=width,
        height=height,
        codec=codec,
        has_audio=has_audio,
        keyframes_s=keyframes,
        frame_count=len(times),
    )
