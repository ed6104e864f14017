"""Frame sources: decode the frame on screen at given timestamps, behind one small protocol.

Two backends:

- ``pyav`` (:class:`PyAVFrameSource`): seeks to the keyframe before each requested time only when
  that skips frames, decodes forward, and converts/downscales only the frames that are kept, in
  libswscale. It needs no frame index, so variable-frame-rate files and long files cost nothing
  up front.
- ``decord`` (:class:`DecordFrameSource`): decord's VideoReader, which builds a frame index on
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

Sampling is by timestamp: the frame returned for time t is the last frame whose presentation
time is <= t (the frame on screen at t); times before the first frame give the first frame, times
after the end give the last one. Frame times are relative to the stream start.
"""

from __future__ import annotations

import bisect
import gc
import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from vidseek.config import Settings
from vidseek.errors import VideoError
from vidseek.media.probe import check_path, frame_times, probe
from vidseek.media.types import Frame, VideoInfo

log = logging.getLogger(__name__)

BACKENDS = ("pyav", "decord")
DEFAULT_BACKEND = "pyav"
# a requested time within this of a frame's pts counts as that frame (float noise in k / fps)
_EPS = 1e-6


@runtime_checkable
class FrameSource(Protocol):
    """Decodes frames of one video by timestamp."""

    backend: str
    info: VideoInfo

    def frames_at(self, times_s: Sequence[float], max_side: int | None = None) -> list[Frame]:
        """Frames on screen at ``times_s`` (any order; the result follows the request order)."""
        ...

    def close(self) -> None: ...


def scaled_size(width: int, height: int, max_side: int | None) -> tuple[int, int]:
    """Output size that fits ``max_side`` (never upscales; keeps even sizes for the scalers)."""
    if not max_side or max(width, height) <= max_side:
        return width, height
    scale = max_side / max(width, height)
    w = max(2, int(round(width * scale / 2)) * 2)
    h = max(2, int(round(height * scale / 2)) * 2)
    return min(w, width), min(h, height)


class PyAVFrameSource:
    """PyAV (libav*) decoding: seek to a keyframe, decode forward, convert only kept frames."""

    backend = "pyav"

    def __init__(self, path: str | Path, info: VideoInfo, threads: int = 0) -> None:
        import av

        self.path = Path(path)
        self.info = info
        self._threads = threads
        try:
            self._container = av.open(str(self.path), metadata_errors="ignore")
            self._stream = self._container.streams.video[0]
        except (av.error.FFmpegError, IndexError) as exc:
            raise VideoError(self.path, f"PyAV cannot open the video ({exc})") from None
        stream = self._stream
        if threads != 1:
            stream.thread_type = "AUTO"
        stream.codec_context.thread_count = threads
        self._tb = float(stream.time_base)
        start = stream.start_time if stream.start_time is not None else 0
        self._base = start * self._tb
        self._keys = list(info.keyframes_s)
        self._iter = None  # live frame iterator over the decoder
        self._pending = None  # decoded frame not yet consumed (pts > last request)
        self._last = None  # last consumed frame (pts <= last request)

    def _time(self, frame) -> float:
        return round(frame.pts * self._tb - self._base, 6) if frame.pts is not None else 0.0

    def _seek(self, key_s: float) -> None:
        target = int(math.floor((key_s + self._base) / self._tb + 0.5))
        self._container.seek(target, stream=self._stream, backward=True, any_frame=False)
        self._iter = self._container.decode(self._stream)
        self._pending = None
        self._last = None

    def _next(self):
        if self._pending is not None:
            frame, self._pending = self._pending, None
            return frame
        if self._iter is None:
            self._iter = self._container.decode(self._stream)
        return next(self._iter, None)

    def frames_at(self, times_s: Sequence[float], max_side: int | None = None) -> list[Frame]:
        import av

        if not len(times_s):
            return []
        w, h = scaled_size(self.info.width, self.info.height, max_side)
        order = sorted(range(len(times_s)), key=lambda i: times_s[i])
        out: list[Frame | None] = [None] * len(times_s)
        kept = None  # (frame, image): consecutive requests on one frame share its image
        try:
            for i in order:
                t = float(times_s[i])
                key = self._keys[max(bisect.bisect_right(self._keys, t + _EPS) - 1, 0)]
                position = self._time(self._last) if self._last is not None else None
                if position is None or position > t + _EPS or position < key - _EPS:
                    if not (position is None and self._iter is None and key == self._keys[0]):
                        self._seek(key)
                while True:
                    frame = self._next()
                    if frame is None:
                        break
                    if self._time(frame) > t + _EPS and self._last is not None:
                        self._pending = frame
                        break
                    self._last = frame
                if self._last is None:
                    raise VideoError(self.path, f"no frame could be decoded at {t:.3f} s")
                if kept is None or kept[0] is not self._last:
                    image = self._last.to_ndarray(width=w, height=h, format="rgb24")
                    kept = (self._last, image)
                out[i] = Frame(time_s=self._time(self._last), image=kept[1], requested_s=t)
        except av.error.FFmpegError as exc:
            raise VideoError(self.path, f"decoding failed ({exc})") from None
        return out  # type: ignore[return-value]

    def close(self) -> None:
        self._iter = None
        self._pending = self._last = None
        self._container.close()

    def __enter__(self) -> PyAVFrameSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class DecordFrameSource:
    """decord decoding with a bounded reader (re-opened every ``reopen_after_frames`` frames)."""

    backend = "decord"

    def __init__(
        self,
        path: str | Path,
        info: VideoInfo,
        threads: int = 0,
        reopen_after_frames: int = 2000,
    ) -> None:
        self.path = Path(path)
        self.info = info
        self._threads = threads
        self._reopen_after = reopen_after_frames
        self._readers: dict[tuple[int, int], object] = {}
        self._decoded = 0
        self._times: np.ndarray | None = None
        self._reader((info.width, info.height))  # fail now, not at the first request

    @property
    def decoded_since_open(self) -> int:
        """Frames the current decord readers decoded (back to 0 when they are reopened)."""
        return self._decoded

    def _reader(self, size: tuple[int, int]):
        import decord

        reader = self._readers.get(size)
        if reader is None:
            self._drop_readers()
            w, h = size
            kwargs = (
                {} if (w, h) == (self.info.width, self.info.height) else {"width": w, "height": h}
            )
            try:
                reader = decord.VideoReader(
                    str(self.path), ctx=decord.cpu(0), num_threads=self._threads, **kwargs
                )
            except Exception as exc:  # decord raises its own DECORDError and RuntimeError
                msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise VideoError(self.path, f"decord cannot open the video ({msg})") from None
            if self._times is None:
                self._times = self._frame_times(reader)
            self._readers[size] = reader
        return reader

    def _frame_times(self, reader) -> np.ndarray:
        """Exact frame times from the packet index; decord's own are float32 (0.2 ms off at
        1 h), which would map a request at a frame's exact time to the frame before."""
        times = frame_times(self.path)
        if len(times) != len(reader):
            log.warning(
                "%s: decord sees %d frames, the packet index %d; using decord's timestamps",
                self.path,
                len(reader),
                len(times),
            )
            ts = reader.get_frame_timestamp(np.arange(len(reader)))[:, 0].astype(np.float64)
            times = np.round(ts - ts.min(), 6)
        return times

    def _drop_readers(self) -> None:
        if self._readers:
            self._readers.clear()
            gc.collect()

    def frames_at(self, times_s: Sequence[float], max_side: int | None = None) -> list[Frame]:
        if not len(times_s):
            return []
        size = scaled_size(self.info.width, self.info.height, max_side)
        if self._decoded >= self._reopen_after:
            self._drop_readers()
            self._decoded = 0
        reader = self._reader(size)
        times = self._times
        assert times is not None
        req = np.asarray(times_s, dtype=np.float64)
        idx = np.searchsorted(times, req + _EPS, side="right") - 1
        idx = np.clip(idx, 0, len(times) - 1)
        unique = np.unique(idx)
        try:
            batch = reader.get_batch(unique.tolist()).asnumpy()
        except Exception as exc:
            msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise VideoError(self.path, f"decord failed to decode ({msg})") from None
        self._decoded += len(unique)
        pos = {int(u): k for k, u in enumerate(unique)}
        return [
            Frame(time_s=float(times[j]), image=batch[pos[int(j)]], requested_s=float(t))
            for j, t in zip(idx, req, strict=True)
        ]

    def close(self) -> None:
        self._drop_readers()

    def __enter__(self) -> DecordFrameSource:
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


def _make(name: str, path: Path, info: VideoInfo, threads: int) -> FrameSource:
    if name == "pyav":
        return PyAVFrameSource(path, info, threads=threads)
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
) -> FrameSource:
    """Open a :class:`FrameSource`; when the chosen backend fails to open or seek the file, the
    other backend is tried (unless ``fallback`` is False). ``threads``: decoder threads (0 = auto)."""
    p = check_path(path)
    info = info or probe(p, settings)
    first = resolve_backend(settings, backend)
    names = [first] + ([b for b in BACKENDS if b != first] if fallback else [])
    errors: list[str] = []
    for name in names:
        source = None
        try:
            source = _make(name, p, info, threads)
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
