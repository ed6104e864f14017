"""Parallel keyframe-aligned decoding, streamed in time order (the QuickVideo idea).

The requested times are split at keyframes into intervals; worker processes (one frame source
each, opened once per video and reused for all its intervals) seek to an interval's keyframe,
decode forward only to the sampled times, downscale in the decoder and send the frames back as
one compact uint8 array in shared memory. The caller receives batches in time order as soon as the earliest
intervals are done, so a model stage never waits for the whole video. The frames are exactly the
ones sequential decoding with the same backend returns.
"""

from __future__ import annotations

import bisect
import logging
import math
import multiprocessing as mp
import os
import sys
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import resource_tracker, shared_memory
from pathlib import Path

import numpy as np

from vidseek.config import Settings
from vidseek.errors import VideoError
from vidseek.media.frames import FrameSource, open_frame_source
from vidseek.media.probe import check_path, probe
from vidseek.media.types import DecodeDamage, Frame, VideoInfo

log = logging.getLogger(__name__)

_EPS = 1e-6
# intervals per worker: enough for load balancing and an early first batch, few enough that
# the per-task overhead (a seek, a pickle) stays small
_CHUNKS_PER_WORKER = 4


def sample_times(duration_s: float, fps: float, start_s: float = 0.0) -> list[float]:
    """Uniform sampling times ``start_s, start_s + 1/fps, ...`` strictly before ``duration_s``."""
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    n = max(0, math.ceil((duration_s - start_s) * fps - 1e-9))
    return [round(start_s + k / fps, 6) for k in range(n)]


def resolve_workers(settings: Settings, workers: int | None = None) -> int:
    """Worker count: the argument, else ``media.decode_workers``; 0 means all cores."""
    n = settings.media.decode_workers if workers is None else workers
    if n <= 0:
        n = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, int(n or 1))


def split_at_keyframes(
    times_s: Sequence[float], keyframes_s: Sequence[float], n_chunks: int
) -> list[tuple[int, int]]:
    """Index ranges [a, b) of ``times_s`` (sorted) into about ``n_chunks`` pieces of similar size,
    cut only where the keyframe interval changes, so that no two workers decode the same GOP."""
    n = len(times_s)
    if n == 0:
        return []
    keys = list(keyframes_s) or [0.0]
    gop = [max(bisect.bisect_right(keys, t + _EPS) - 1, 0) for t in times_s]
    starts = [i for i in range(1, n) if gop[i] != gop[i - 1]]  # where a new GOP begins
    cuts: list[int] = []
    for k in range(1, max(1, n_chunks)):
        if not starts:
            break
        ideal = k * n / n_chunks
        j = bisect.bisect_left(starts, ideal)
        near = min(starts[max(j - 1, 0) : j + 1], key=lambda s: abs(s - ideal))
        if not cuts or near > cuts[-1]:
            cuts.append(near)
    bounds = [0, *cuts, n]
    ranges = [(a, b) for a, b in zip(bounds, bounds[1:], strict=False) if b > a]
    return ranges


# --- worker side: one frame source per worker process, opened once per video ----------------

_worker_source: dict[str, FrameSource] = {}


def _init_worker(path: str, info: VideoInfo, backend: str, settings_json: str) -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    settings = Settings.model_validate_json(settings_json)
    _worker_source["source"] = open_frame_source(
        path, settings, backend=backend, info=info, threads=1, fallback=False
    )


_Chunk = tuple[np.ndarray, np.ndarray, str, list[float]]


def _decode_chunk(times: list[float], max_side: int | None) -> _Chunk:
    """Decode one interval; the frames go back through one shared-memory block (a single
    memcpy on each side instead of pickling tens of MB through a pipe), with the times of the
    frames the worker had to skip as undecodable so far."""
    source = _worker_source["source"]
    frames = source.frames_at(times, max_side=max_side)
    skipped = sorted(source.damage.times_s)
    shown = np.array([f.time_s for f in frames], dtype=np.float64)
    requested = np.array(times, dtype=np.float64)
    h, w, _ = frames[0].image.shape
    shm = shared_memory.SharedMemory(create=True, size=len(frames) * h * w * 3)
    try:
        # the parent unlinks the block once it has copied it out
        resource_tracker.unregister(shm._name, "shared_memory")  # type: ignore[attr-defined]
        out = np.ndarray((len(frames), h, w, 3), dtype=np.uint8, buffer=shm.buf)
        for i, f in enumerate(frames):
            out[i] = f.image
        del out
        return shown, requested, f"{shm.name}:{len(frames)}:{h}:{w}", skipped
    finally:
        shm.close()


def _take(result: _Chunk, damage: DecodeDamage | None = None) -> list[Frame]:
    """Copy a chunk out of its shared-memory block, free the block, wrap the frames."""
    shown, requested, handle, skipped = result
    if damage is not None:
        damage.add(skipped)
    name, n, h, w = handle.split(":")
    shm = shared_memory.SharedMemory(name=name)
    try:
        view = np.ndarray((int(n), int(h), int(w), 3), dtype=np.uint8, buffer=shm.buf)
        images = view.copy()
        del view
    finally:
        shm.close()
        shm.unlink()
    return [
        Frame(time_s=float(shown[i]), image=images[i], requested_s=float(requested[i]))
        for i in range(len(shown))
    ]


def _discard(fut: Future) -> None:
    """Free the shared memory of a chunk that was decoded but never consumed."""
    if fut.done() and not fut.cancelled() and fut.exception() is None:
        name = fut.result()[2].split(":")[0]
        try:
            shm = shared_memory.SharedMemory(name=name)
            shm.close()
            shm.unlink()
        except FileNotFoundError:
            pass


def _rebatch(chunks: Iterator[list[Frame]], batch_size: int) -> Iterator[list[Frame]]:
    buf: list[Frame] = []
    for frames in chunks:
        buf.extend(frames)
        while len(buf) >= batch_size:
            yield buf[:batch_size]
            buf = buf[batch_size:]
    if buf:
        yield buf


def iter_frame_batches(
    path: str | Path,
    times_s: Sequence[float],
    settings: Settings,
    batch_size: int = 32,
    workers: int | None = None,
    max_side: int | None = None,
    backend: str | None = None,
    info: VideoInfo | None = None,
    damage: DecodeDamage | None = None,
) -> Iterator[list[Frame]]:
    """Frames at ``times_s`` (non-decreasing) as batches of ``batch_size``, in time order.

    ``workers``: processes (default ``media.decode_workers``; 0 = all cores; 1 = decode in this
    process). The backend is resolved (with its fallback) once here, then used by all workers,
    so the pixels do not depend on the number of workers. Frames come out upright (display
    rotation applied). ``damage`` collects the times of frames skipped as undecodable (a damaged
    recording); ``damage.gaps(...)`` turns them into ``VideoInfo.gaps_s``. Files whose
    timestamps restart are decoded in this process (their times cannot be seeked).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    times = [float(t) for t in times_s]
    if any(b < a for a, b in zip(times, times[1:], strict=False)):
        raise ValueError("times_s must be in non-decreasing order")
    p = check_path(path)
    info = info or probe(p, settings)
    if not times:
        return
    n_workers = 1 if info.discontinuities_s else resolve_workers(settings, workers)
    ranges = split_at_keyframes(times, info.keyframes_s, n_workers * _CHUNKS_PER_WORKER)
    n_workers = min(n_workers, len(ranges))
    # one process: slice threads only, so that every undecodable frame is reported
    source = open_frame_source(p, settings, backend=backend, info=info, frame_threads=n_workers > 1)
    seen = DecodeDamage()
    if n_workers <= 1:
        try:
            chunks = (source.frames_at(times[a:b], max_side=max_side) for a, b in ranges)
            yield from _rebatch(chunks, batch_size)
        finally:
            seen.add(source.damage.times_s)
            source.close()
            _report(p, info, seen, damage)
        return
    chosen = source.backend
    source.close()
    try:
        yield from _rebatch(
            _parallel_chunks(p, info, chosen, settings, times, ranges, n_workers, max_side, seen),
            batch_size,
        )
    finally:
        _report(p, info, seen, damage)


def _report(path: Path, info: VideoInfo, seen: DecodeDamage, damage: DecodeDamage | None) -> None:
    if not seen:
        return
    if damage is not None:
        damage.add(seen.times_s)
    gaps = seen.gaps(1.0 / info.fps if info.fps > 0 else 0.04)
    spans = ", ".join(f"{a:.2f}-{b:.2f} s" for a, b in gaps[:5]) + (" ..." if len(gaps) > 5 else "")
    log.warning("%s: %d undecodable frame(s) skipped (damaged at %s)", path, len(seen), spans)


def _os_threads() -> int:
    """Threads of this process, native ones included (libav's frame threads of an open
    decoder, OpenMP pools): ``threading.active_count()`` sees only Python's, and a fork next to
    a native thread that holds a lock deadlocks the child."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


# threads that exist once numpy and libav are loaded (OpenBLAS's idle pool, fork-safe through
# its atfork handlers); more than these means someone is decoding or computing right now
_BASELINE_THREADS = _os_threads()


def mp_context() -> mp.context.BaseContext:
    """fork when this process runs no other thread (fast start, no re-import of ``__main__``), else
    forkserver: forking a process whose other threads hold locks (torch, CUDA, a web server, a
    progress bar) can deadlock the child, while a forkserver is a clean single-threaded process,
    started once per interpreter with this module preloaded, so later pools start in
    milliseconds (spawn re-imported everything for every worker of every pool: ~1 s each)."""
    cuda = False
    torch = sys.modules.get("torch")
    if torch is not None:
        try:
            cuda = bool(torch.cuda.is_initialized())
        except Exception:  # noqa: BLE001 - an odd torch build: be safe
            cuda = True
    methods = mp.get_all_start_methods()
    quiet = threading.active_count() == 1 and _os_threads() <= _BASELINE_THREADS
    if quiet and not cuda and "fork" in methods:
        return mp.get_context("fork")
    if "forkserver" in methods:
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload([__name__])
        return ctx
    return mp.get_context("spawn")


def _parallel_chunks(
    path: Path,
    info: VideoInfo,
    backend: str,
    settings: Settings,
    times: list[float],
    ranges: list[tuple[int, int]],
    n_workers: int,
    max_side: int | None,
    damage: DecodeDamage,
) -> Iterator[list[Frame]]:
    ctx = mp_context()
    pool = ProcessPoolExecutor(
        max_workers=n_workers,
        mp_context=ctx,
        initializer=_init_worker,
        initargs=(str(path), info, backend, settings.model_dump_json()),
    )
    pending: deque[Future] = deque()
    todo = iter(ranges)
    limit = 2 * n_workers  # bounded read-ahead: memory stays flat on long videos
    try:
        for a, b in todo:
            pending.append(pool.submit(_decode_chunk, times[a:b], max_side))
            if len(pending) >= limit:
                break
        while pending:
            try:
                result = pending.popleft().result()
            except BrokenProcessPool as exc:
                raise VideoError(path, f"a decoding worker process died ({exc})") from None
            nxt = next(todo, None)
            if nxt is not None:
                pending.append(pool.submit(_decode_chunk, times[nxt[0] : nxt[1]], max_side))
            yield _take(result, damage)
    finally:
        for fut in pending:
            fut.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
        for fut in pending:
            _discard(fut)
