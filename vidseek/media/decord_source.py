"""The decord frame source: decord's VideoReader behind the ``FrameSource`` protocol.

decord builds a frame index on open and resizes in its decoder; it is unmaintained and leaks
memory on long files, so a reader is bounded: it is re-opened after ``reopen_after_frames``
frames and closed with the source (one reader per worker process, one per video). decord turns
frames by the display rotation itself; it is refused for mirrored display matrices and for
files whose timestamps restart (then PyAV takes over, see ``frames.open_frame_source``).
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from vidseek.errors import VideoError
from vidseek.media.orient import scaled_size
from vidseek.media.packets import frame_times
from vidseek.media.types import DecodeDamage, Frame, VideoInfo

log = logging.getLogger(__name__)

# a requested time within this of a frame's pts counts as that frame (float noise in k / fps)
_EPS = 1e-6


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
        if info.mirrored:
            raise VideoError(self.path, "decord cannot show a mirrored display matrix")
        if info.discontinuities_s:
            raise VideoError(self.path, "decord cannot read restarting timestamps")
        self._threads = threads
        self.damage = DecodeDamage()  # decord fails on damage instead (PyAV then takes over)
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

        decord.logging.set_level(decord.logging.QUIET)
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
        if batch.shape[1:3] != (size[1], size[0]):  # decord turns frames by the display matrix
            raise VideoError(
                self.path,
                f"decord returns {batch.shape[2]}x{batch.shape[1]} frames, not "
                f"{size[0]}x{size[1]} (display rotation {self.info.rotation})",
            )
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
