"""Frame sources: decode the frame on screen at given timestamps, behind one small protocol.

Two backends:

- ``pyav`` (:class:`PyAVFrameSource`): seeks to the keyframe before each requested time only when
  that skips frames, decodes forward, and converts/downscales only the frames that are kept, in
  libswscale. It needs no frame index, so variable-frame-rate files and long files cost nothing
  up front.
- ``decord`` (:class:`DecordFrameSource`, in :mod:`vidseek.media.decord_source`): decord's
  VideoReader, which builds a frame index on
  open and resizes in its decoder. decord is unmaintained and leaks memory on long files, so a
  reader is bounded: it is re-opened after ``reopen_after_frames`` frames and closed with the
  source (one reader per worker process, one per video).

Default backend (``media.decode_backend = "auto"``): **pyav**, chosen by measurement with
``benchmarks/decode.py`` (30-minute haystack of the real 640x360 sample clips, 1 frame per
second, frames downscaled to 448 px, medians of 3 runs):

- 2 cores (16-core machine under ``taskset -c 0,1``): decord 72.0 video-s/s, PyAV 168.7 (2.34x);
- 16 cores: decord 190.0, PyAV 188.8 (0.99x);
- shared 2-core development machine, load 6.6: decord 49.0, PyAV 124.4 (2.54x).

PyAV is as fast or faster everywhere and needs no up-front index; decord is the automatic
fallback when PyAV fails to open or seek a file.

Frames come out as displayed: a stored display rotation (phone videos) is applied (PyAV: by
:mod:`vidseek.media.orient`; decord turns frames itself and is refused for mirrored matrices).

Sampling is by timestamp: the frame returned for time t is the last frame whose presentation
time is <= t (the frame on screen at t); times before the first frame give the first frame, times
after the end give the last one. Frame times are relative to the stream start.
"""

from __future__ import annotations

import bisect
import logging
import math
from collections.abc import Iterator, Sequence
from itertools import chain
from pathlib import Path
from typing import Protocol, runtime_checkable

from vidseek.config import Settings
from vidseek.errors import VideoError
from vidseek.media import orient
from vidseek.media.decord_source import DecordFrameSource
from vidseek.media.orient import scaled_size
from vidseek.media.packets import (
    FrameClock,
    counts,
    demux,
    make_unwrapper,
    open_container,
    video_stream,
)
from vidseek.media.probe import check_path, probe
from vidseek.media.types import DecodeDamage, Frame, VideoInfo

log = logging.getLogger(__name__)

__all__ = [
    "BACKENDS",
    "DecordFrameSource",
    "FrameSource",
    "PyAVFrameSource",
    "frames_at",
    "open_frame_source",
    "resolve_backend",
    "scaled_size",
]

BACKENDS = ("pyav", "decord")
DEFAULT_BACKEND = "pyav"
# a requested time within this of a frame's pts counts as that frame (float noise in k / fps)
_EPS = 1e-6


@runtime_checkable
class FrameSource(Protocol):
    """Decodes frames of one video by timestamp."""

    backend: str
    info: VideoInfo
    damage: DecodeDamage  # times of frames skipped as undecodable (damaged files)

    def frames_at(self, times_s: Sequence[float], max_side: int | None = None) -> list[Frame]:
        """Frames on screen at ``times_s`` (any order; the result follows the request order)."""
        ...

    def close(self) -> None: ...


class PyAVFrameSource:
    """PyAV (libav*) decoding: seek to a keyframe, decode forward, convert only kept frames.

    Damaged files: a packet the decoder rejects is skipped (its time goes to ``damage``) and
    decoding goes on, as players do; the frame on screen at a time inside a damaged stretch is
    the last one that decoded. libav's frame threading may drop a damaged frame without saying
    so; ``frame_threads=False`` (slice threads only) makes ``damage`` exact. Files whose timestamps restart (``info.discontinuities_s``) are
    decoded forward from the start and never seeked by time, since their times repeat.
    """

    backend = "pyav"

    def __init__(
        self, path: str | Path, info: VideoInfo, threads: int = 0, frame_threads: bool = True
    ) -> None:
        self.path = Path(path)
        self.info = info
        self._threads = threads
        self._thread_type = "AUTO" if frame_threads else "SLICE"
        self.damage = DecodeDamage()
        self._orientation = orient.Orientation(info.rotation, info.mirrored)
        self._jumpy = bool(info.discontinuities_s)
        self._container = None
        self._open()
        self._keys = list(info.keyframes_s) or [0.0]
        self._iter = None  # live (time, frame) iterator over the decoder
        self._pending = None  # decoded (time, frame) not yet consumed (time > last request)
        self._last = None  # last consumed (time, frame) (time <= last request)

    def _open(self) -> None:
        import av

        if self._container is not None:
            self._container.close()
        try:
            self._container = open_container(self.path)
        except av.error.FFmpegError as exc:
            raise VideoError(self.path, f"PyAV cannot open the video ({exc})") from None
        stream = video_stream(self._container)
        if stream is None:
            raise VideoError(self.path, "PyAV finds no video stream")
        if self._threads != 1:
            stream.thread_type = self._thread_type
        stream.codec_context.thread_count = self._threads
        self._stream = stream
        self._tb = float(stream.time_base)
        start = stream.start_time if stream.start_time is not None else 0
        self._base = start * self._tb

    def _seconds(self, pts: int) -> float:
        return round(pts * self._tb - self._base, 6)

    def _decoded(self) -> Iterator[tuple[float, object]]:
        """(time_s, frame) from the current file position on; undecodable packets are skipped
        and their times recorded in ``damage``."""
        import av

        clock = FrameClock(make_unwrapper(self._container, self._stream)) if self._jumpy else None
        stream = self._stream
        for packet in chain(demux(self._container, stream), [None]):  # None: drain the decoder
            sent = clock.sent(packet) if clock is not None and packet is not None else None
            if clock is None and packet is not None:
                sent = packet.pts
            try:
                frames = stream.decode(packet)
            except av.error.FFmpegError as exc:
                if sent is not None and counts(packet):
                    self.damage.add([self._seconds(sent)])
                log.debug("%s: skipped an undecodable packet (%s)", self.path, exc)
                continue
            for frame in frames:
                if frame.pts is None:
                    continue  # no time: cannot be placed
                pts = clock.time_of(frame.pts) if clock is not None else frame.pts
                yield self._seconds(pts), frame

    def _seek(self, key_s: float) -> None:
        if self._jumpy or key_s <= self._keys[0] + _EPS:
            self._open()  # the start of the file: exact, and the only safe spot when times repeat
        else:
            target = int(math.floor((key_s + self._base) / self._tb + 0.5))
            self._container.seek(target, stream=self._stream, backward=True, any_frame=False)
        self._iter = self._decoded()
        self._pending = None
        self._last = None

    def _next(self):
        if self._pending is not None:
            item, self._pending = self._pending, None
            return item
        if self._iter is None:
            self._iter = self._decoded()
        return next(self._iter, None)

    def _advance_to(self, t: float) -> None:
        """Consume decoded frames up to time ``t`` (the first frame if none is that early)."""
        while True:
            item = self._next()
            if item is None:
                return
            if item[0] > t + _EPS and self._last is not None:
                self._pending = item
                return
            self._last = item

    def _position_for(self, t: float) -> None:
        """Decode up to ``t``; seek first when the frames at ``t`` are behind the decoder or far
        enough ahead to skip."""
        position = self._last[0] if self._last is not None else None
        if self._jumpy:
            if position is not None and position > t + _EPS:
                self._seek(0.0)
            self._advance_to(t)
            return
        k = max(bisect.bisect_right(self._keys, t + _EPS) - 1, 0)
        fresh = position is None and self._iter is None
        if position is None or position > t + _EPS or position < self._keys[k] - _EPS:
            if not (fresh and k == 0):
                self._seek(self._keys[k])
        self._advance_to(t)
        # nothing decodable before EOF (damage) or a seek that landed past the keyframe (formats
        # without an index seek by reading timestamps): start from an earlier keyframe
        while k > 0 and (self._last is None or self._last[0] > max(t, self._keys[k]) + _EPS):
            k -= 1
            self._seek(self._keys[k])
            self._advance_to(t)

    def frames_at(self, times_s: Sequence[float], max_side: int | None = None) -> list[Frame]:
        import av

        if not len(times_s):
            return []
        w, h = orient.stored_size(
            *scaled_size(self.info.width, self.info.height, max_side), self._orientation
        )
        order = sorted(range(len(times_s)), key=lambda i: times_s[i])
        out: list[Frame | None] = [None] * len(times_s)
        kept = None  # (frame, image): consecutive requests on one frame share its image
        try:
            for i in order:
                t = float(times_s[i])
                self._position_for(t)
                if self._last is None:
                    raise VideoError(self.path, f"no frame could be decoded at {t:.3f} s")
                shown, frame = self._last
                if kept is None or kept[0] is not frame:
                    image = frame.to_ndarray(width=w, height=h, format="rgb24")
                    kept = (frame, orient.apply(image, self._orientation))
                out[i] = Frame(time_s=shown, image=kept[1], requested_s=t)
        except av.error.FFmpegError as exc:
            raise VideoError(self.path, f"decoding failed ({exc})") from None
        return out  # type: ignore[return-value]

    def close(self) -> None:
        self._iter = None
        self._pending = self._last = None
        if self._container is not None:
            self._container.close()

    def __enter__(self) -> PyAVFrameSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def resolve_backend(settings: Settings, backend: str | None = None) -> str:
    """The backend to try first: the argument, else the setting, else the measured default."""
    name = backend or settings.media.decode_backend
    if name == "auto":
        return DEFAULT_BACKEND
    if name not in BACKENDS:
        raise VideoError(
            "-", f"unknown decode backend '{name}' (choose from {', '.join(BACKENDS)})"
        )
    return name


def _make(name: str, path: Path, info: VideoInfo, threads: int, frame_threads: bool) -> FrameSource:
    if name == "pyav":
        return PyAVFrameSource(path, info, threads=threads, frame_threads=frame_threads)
    return DecordFrameSource(path, info, threads=threads)


def _seek_check(source: FrameSource, info: VideoInfo) -> None:
    """Decode one frame late in the file: catches files that open but cannot seek."""
    t = info.keyframes_s[-1] if info.keyframes_s else 0.0
    source.frames_at([t], max_side=None)


def open_frame_source(
    path: str | Path,
    settings: Settings,
    backend: str | None = None,
    info: VideoInfo | None = None,
    threads: int = 0,
    fallback: bool = True,
    frame_threads: bool = True,
) -> FrameSource:
    """Open a :class:`FrameSource`; when the chosen backend fails to open or seek the file, the
    other backend is tried (unless ``fallback`` is False). ``threads``: decoder threads (0 = auto);
    ``frame_threads=False`` keeps PyAV to slice threads, so that it reports every damaged frame
    (see :class:`PyAVFrameSource`)."""
    p = check_path(path)
    info = info or probe(p, settings)
    first = resolve_backend(settings, backend)
    names = [first] + ([b for b in BACKENDS if b != first] if fallback else [])
    errors: list[str] = []
    for name in names:
        source = None
        try:
            source = _make(name, p, info, threads, frame_threads)
            _seek_check(source, info)
            if errors:
                log.warning("%s: using %s after: %s", p, name, "; ".join(errors))
            return source
        except ImportError as exc:
            errors.append(f"{name} is not installed ({exc})")
        except VideoError as exc:
            errors.append(f"{name}: {exc.problem}")
        except Exception as exc:  # a backend's own failure: try the other one
            errors.append(f"{name}: {type(exc).__name__}: {exc}")
        if source is not None:
            try:
                source.close()
            except Exception:  # noqa: BLE001 - closing a broken reader must not hide the cause
                pass
    raise VideoError(p, "cannot decode the video: " + "; ".join(errors))


def frames_at(
    path: str | Path,
    times_s: Sequence[float],
    settings: Settings,
    max_side: int | None = None,
    backend: str | None = None,
) -> list[Frame]:
    """One-shot convenience: open, decode ``times_s``, close."""
    source = open_frame_source(path, settings, backend=backend)
    try:
        return source.frames_at(times_s, max_side=max_side)
    finally:
        source.close()
