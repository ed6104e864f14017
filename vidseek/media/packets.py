"""The packet index of a video stream, read without decoding, on one continuous timeline.

Files joined with ``cat`` (MPEG-TS, MPEG-PS) restart their timestamps in the middle: the second
half repeats the first half's presentation times, so a reader that trusts the timestamps sees
half the duration and mixes the two halves. In the formats that allow this (broadcast streams,
where the decode timestamp is explicit), :class:`Unwrapper` detects such discontinuities in
decode order (the decode timestamp goes back by more than ``BACKWARD_JUMP_S``, or jumps forward
by more than ffmpeg's ``dts_delta_threshold`` of 10 s) and shifts each new stretch so that it
continues the previous one, as ffmpeg itself does when it transcodes such a file. Other
containers (MP4, Matroska) hold one timeline by construction and are read as they are. Probing
and decoding use the same class, so their times agree.
"""

from __future__ import annotations

import logging
import re
from array import array
from collections import deque
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from vidseek.errors import VideoError

log = logging.getLogger(__name__)

# formats whose timestamps may jump forward (broadcast streams, cut or joined recordings)
JUMPY_FORMATS = frozenset({"mpegts", "mpegtsraw", "mpeg", "mpegvideo"})
FORWARD_JUMP_S = 10.0  # ffmpeg's dts_delta_threshold
BACKWARD_JUMP_S = 0.5  # sloppy muxers step back a frame or two; a restart goes back further


# libav may only read the local file it is given: no network, no other protocols (a playlist
# inside a "video" must not make vidseek fetch URLs)
AV_OPTIONS = {"protocol_whitelist": "file"}
# demuxers that read other files or URLs named inside the file: playlists, not videos
PLAYLIST_FORMATS = frozenset({"concat", "hls", "dash", "webm_dash_manifest", "tee", "ffmetadata"})


def av_error_text(exc: Exception) -> str:
    """A libav error as one line, without the path PyAV appends (the caller names the file)."""
    text = str(exc).strip()
    if ": '" in text:
        text = text.split(": '")[0]
    return re.sub(r"^\[Errno -?\d+\]\s*", "", text.replace("\n", " "))


def open_container(path: Path):
    """``av.open`` of a local file, reading nothing else (see ``AV_OPTIONS``)."""
    import av

    return av.open(str(path), metadata_errors="ignore", options=dict(AV_OPTIONS))


class Unwrapper:
    """Maps a stream's raw timestamps to one continuous timeline (time-base units).

    Feed every packet in demux order; ``offset`` then applies to that packet's timestamps.
    """

    def __init__(self, time_base: Fraction, format_name: str, frame_step: int = 0) -> None:
        self.tb = float(time_base)
        self.active = bool(set(format_name.split(",")) & JUMPY_FORMATS) and self.tb > 0
        self.forward_limit = int(FORWARD_JUMP_S / self.tb) if self.active else 0
        self.backward_limit = int(BACKWARD_JUMP_S / self.tb) if self.active else 0
        self.offset = 0
        self.step = max(0, int(frame_step))
        self._prev: int | None = None  # unwrapped decode time of the previous packet
        self.jumps: list[int] = []  # unwrapped decode times where a new stretch begins

    def feed(self, dts: int | None, pts: int | None, duration: int = 0) -> int:
        raw = dts if dts is not None else pts
        if raw is None or not self.active:
            return self.offset
        now = raw + self.offset
        if self._prev is not None:
            delta = now - self._prev
            jumped = delta < -self.backward_limit or delta > self.forward_limit
            if jumped:
                self.offset += self._prev + max(self.step, 1) - now
                now = raw + self.offset
                self.jumps.append(now)
            elif delta > 0:
                self.step = delta
        elif duration > 0 and not self.step:
            self.step = duration
        self._prev = now
        return self.offset


def make_unwrapper(container, stream) -> Unwrapper:
    """The :class:`Unwrapper` of a stream (probing and decoding must build the same one)."""
    tb = stream.time_base or Fraction(1, 1_000_000)
    rate = stream.average_rate or stream.guessed_rate
    step = int(round(1 / (float(rate) * float(tb)))) if rate and float(rate) > 0 else 0
    return Unwrapper(tb, container.format.name or "", step)


def demux(container, stream, on_error=None, max_errors: int = 16):
    """Packets of ``stream`` in file order, reading on past errors of the demuxer (a damaged
    stretch of the file): ``on_error(exc)`` sees each; ``max_errors`` in a row end the stream."""
    import av

    errors = 0
    while True:
        try:
            for packet in container.demux(stream):
                errors = 0
                yield packet
            return
        except av.error.EOFError:
            return
        except av.error.FFmpegError as exc:
            errors += 1
            if on_error is not None:
                on_error(exc)
            if errors >= max_errors:
                return


def counts(packet) -> bool:
    """Packets that hold a frame: flush packets and packets without a pts do not."""
    return packet.pts is not None and packet.size > 0


class FrameClock:
    """Presentation time of decoded frames on the continuous timeline.

    Packets are registered as they are sent to the decoder; a frame takes the unwrapped time of
    the oldest recent packet with its raw pts (raw times repeat across stretches)."""

    _HORIZON = 256  # packets: a frame never leaves the decoder later than this

    def __init__(self, unwrapper: Unwrapper) -> None:
        self.unwrapper = unwrapper
        self._pending: dict[int, deque[tuple[int, int]]] = {}
        self._seq = 0

    def sent(self, packet) -> int | None:
        """Register a packet about to be decoded; returns its unwrapped pts (None: no pts)."""
        if not counts(packet):
            return None
        offset = self.unwrapper.feed(packet.dts, packet.pts, packet.duration or 0)
        self._seq += 1
        self._pending.setdefault(packet.pts, deque()).append((self._seq, packet.pts + offset))
        if self._seq % self._HORIZON == 0:
            self._prune()
        return packet.pts + offset

    def time_of(self, raw_pts: int) -> int:
        queue = self._pending.get(raw_pts)
        while queue:
            seq, unwrapped = queue.popleft()
            if self._seq - seq <= self._HORIZON:
                if not queue:
                    del self._pending[raw_pts]
                return unwrapped
        self._pending.pop(raw_pts, None)
        return raw_pts + self.unwrapper.offset  # not seen recently: the current stretch

    def _prune(self) -> None:
        old = self._seq - self._HORIZON
        for key in [k for k, q in self._pending.items() if q and q[-1][0] < old]:
            del self._pending[key]


@dataclass(frozen=True)
class PacketIndex:
    """What the packets of a video stream say, on the continuous timeline, in seconds relative
    to the stream start (``base`` time-base units)."""

    times_s: np.ndarray  # sorted presentation times, float64
    keyframes_s: tuple[float, ...]
    last_duration_s: float
    discontinuities_s: tuple[float, ...]
    base: int
    time_base: Fraction
    demux_errors: int = 0


def read_index(container, stream, path: Path, on_packet=None) -> PacketIndex:
    """Demux every packet of ``stream`` (no decoding unless ``on_packet`` decodes) and build its
    :class:`PacketIndex`. ``on_packet(packet)`` sees each packet with a pts, in demux order.
    Unreadable stretches are skipped; the result notes how many (``demux_errors``)."""
    tb = stream.time_base or Fraction(1, 1_000_000)
    unwrap = make_unwrapper(container, stream)
    pts = array("q")
    keys = array("q")
    last_pts, last_duration = None, 0
    errors: list[str] = []
    for packet in demux(container, stream, on_error=lambda e: errors.append(av_error_text(e))):
        if not counts(packet):
            continue
        offset = unwrap.feed(packet.dts, packet.pts, packet.duration or 0)
        t = packet.pts + offset
        pts.append(t)
        if last_pts is None or t >= last_pts:
            last_pts, last_duration = t, packet.duration or 0
        if packet.is_keyframe:
            keys.append(t)
        if on_packet is not None:
            on_packet(packet)
    if not pts:
        why = f" ({errors[0]})" if errors else ""
        raise VideoError(path, f"video stream holds no frames (truncated or corrupt file){why}")
    order = np.sort(np.frombuffer(pts, dtype=np.int64))
    start = stream.start_time
    base = min(int(order[0]), int(start)) if start is not None else int(order[0])
    ftb = float(tb)
    times = np.round((order - base).astype(np.float64) * ftb, 6)
    keyframes = tuple(sorted({round((k - base) * ftb, 6) for k in keys}))
    if not keyframes or keyframes[0] > times[0] + 1e-6:
        keyframes = (round(float(times[0]), 6), *keyframes)
    jumps = tuple(round((j - base) * ftb, 6) for j in unwrap.jumps)
    return PacketIndex(
        times_s=times,
        keyframes_s=keyframes,
        last_duration_s=float(last_duration) * ftb,
        discontinuities_s=jumps,
        base=base,
        time_base=tb,
        demux_errors=len(errors),
    )


def is_cover(stream) -> bool:
    """A still picture attached to an audio file (album art), not a video."""
    return bool(int(stream.disposition) & 1024)  # AV_DISPOSITION_ATTACHED_PIC


def video_stream(container):
    """The first video stream that is not a cover picture, or None."""
    return next((s for s in container.streams.video if not is_cover(s)), None)


def stream_kinds(container) -> list[str]:
    """What a file holds instead of a video, in words (for the refusal message)."""
    kinds = {"cover picture" if is_cover(s) else s.type for s in container.streams}
    return sorted(kinds) or ["no streams"]


def open_video(path: Path):
    """``(container, stream)`` of the video stream, or a VideoError naming the problem.
    ``path`` must be absolute (see ``probe.check_path``): libav reads ``proto:`` prefixes."""
    import av

    try:
        container = open_container(path)
    except av.error.FFmpegError as exc:
        raise VideoError(path, f"cannot open the video ({av_error_text(exc)})") from None
    stream = video_stream(container)
    if stream is None:
        found = ", ".join(stream_kinds(container))
        container.close()
        raise VideoError(path, f"has no video stream (found: {found})")
    return container, stream


def frame_times(path: str | Path) -> np.ndarray:
    """Presentation times (s, float64, sorted, continuous, relative to the stream start) of
    every frame, from the packet index (no decoding). Exact where decord's float32 are not."""
    p = Path(path).expanduser().absolute()
    container, stream = open_video(p)
    try:
        return read_index(container, stream, p).times_s
    finally:
        container.close()
