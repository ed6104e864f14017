"""The local frame pass: one streamed decode feeds every stale frame stage, with decoding read
ahead in a thread. With ``index.concurrent_stages`` each unit works in a thread of its own
(``unit_threads``: in time order, a short queue each), else all of them in the calling thread.

Each stage samples at its own rate: the pass decodes the union of the stages' sampled times that
are not yet covered by checkpoint parts, and hands each unit the frames of its own times. Every
``PART_S`` seconds of video a checkpointed unit's rows are flushed as a part, so a killed run
resumes where its parts end; at the end each unit folds its parts into its output. This module is
the scheduling only: what a stage computes is in ``frame_stages``, what is cached in ``cache``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from vidseek.media.parallel import sample_times
from vidseek.media.types import DecodeDamage
from vidseek.memory.pipeline.cache import time_key
from vidseek.memory.pipeline.context import StageOutcome, VideoJob
from vidseek.memory.pipeline.decode import iter_batches, prefetch, request_time
from vidseek.memory.pipeline.frame_stages import FrameStage, Part
from vidseek.memory.pipeline.unit_threads import UnitThreads

log = logging.getLogger(__name__)

PART_S = 30.0  # a frame stage flushes a checkpoint part after this many seconds of video
QUEUE_DEPTH = 2  # batches waiting per unit when the units run in threads of their own


@dataclass
class _Feed:
    """The running state of one unit in the pass."""

    unit: FrameStage
    times: list[float]
    keys: set[int]
    covered: set[int] = field(default_factory=set)
    parts: list[Part] = field(default_factory=list)
    buffer_times: list[float] = field(default_factory=list)
    buffer_rows: list[Any] = field(default_factory=list)
    part_end: float | None = None
    seconds: float = 0.0
    processed: int = 0


@dataclass
class FramePassTiming:
    wall_s: float
    decode_wait_s: float


class FramePass:
    """One decode pass over the stale frame ``units`` of a video. Opening it loads their
    checkpoint parts (so ``totals`` knows what is left); ``run`` does the rest."""

    def __init__(self, job: VideoJob, units: list[FrameStage]) -> None:
        self.job = job
        self.feeds: list[_Feed] = []
        for unit in units:
            times = sample_times(job.info.duration_s, unit.fps)
            feed = _Feed(unit, times, {time_key(t) for t in times})
            if unit.checkpointed:  # resume: the parts of partial runs, and the times they cover
                feed.covered, feed.parts = job.cache.load_parts(
                    unit.name, arrays=unit.name == "frames"
                )
            self.feeds.append(feed)

    def totals(self) -> dict[str, tuple[int, int]]:
        """Stage -> (frames it samples, frames already covered by checkpoint parts)."""
        return {f.unit.name: (len(f.times), len(f.covered & f.keys)) for f in self.feeds}

    def run(self, finished: Callable[[str, StageOutcome, float], None]) -> FramePassTiming:
        """Decode and feed every unit; ``finished(name, outcome, seconds)`` is called for each
        unit, in order, once its output is written (its parts are dropped right after)."""
        job, feeds = self.job, self.feeds
        duration = job.info.duration_s
        todo: set[int] = set()
        for feed in feeds:
            todo |= feed.keys - feed.covered
        times = sorted({t for feed in feeds for t in feed.times if time_key(t) in todo})
        side = max(feed.unit.max_side for feed in feeds)
        t0 = time.perf_counter()
        damage = DecodeDamage()
        batches = iter_batches(job.video, times, job.settings, side, job.info, damage)
        if job.settings.index.concurrent_stages and len(feeds) > 1:
            with UnitThreads(
                [f.unit.name for f in feeds], lambda i, sel: _feed(job, feeds[i], sel), QUEUE_DEPTH
            ) as threads:
                wait = _dispatch(batches, feeds, threads.put)
                threads.close()
        else:
            wait = _dispatch(batches, feeds, lambda i, sel: _feed(job, feeds[i], sel))
        for feed in feeds:
            _flush(job, feed)
        if damage:
            record_gaps(job, damage)
        wall = time.perf_counter() - t0
        for feed in feeds:  # in order: shots refine with the frame embeddings written before them
            t1 = time.perf_counter()
            n = feed.unit.finish(feed.parts, job.art, duration)
            feed.seconds += time.perf_counter() - t1
            share = feed.processed / len(feed.times) if feed.times else 0.0
            outcome = StageOutcome(f"{n} items", n, share * duration, {"items": n})
            finished(feed.unit.name, outcome, feed.seconds)
            job.cache.drop_parts(feed.unit.name)
        log.info("frame pass: %.1f s, %.1f s waiting for frames", wall, wait)
        return FramePassTiming(wall, wait)


def _dispatch(
    batches: Iterator[list[Any]], feeds: list[_Feed], send: Callable[[int, list[Any]], None]
) -> float:
    """Hand each unit the frames of each batch it samples and has not covered yet (in time
    order); the seconds spent waiting for the decoder."""
    wait = 0.0
    for frames, waited in prefetch(batches):
        wait += waited
        for i, feed in enumerate(feeds):
            sel = [
                f
                for f in frames
                if (k := time_key(request_time(f))) in feed.keys and k not in feed.covered
            ]
            if sel:
                send(i, sel)
    return wait


def record_gaps(job: VideoJob, damage: DecodeDamage) -> None:
    """A damaged file indexes what decodes: the undecodable spans join the video's record (so
    ``vidseek info`` can say where the index has holes) instead of failing the whole video."""
    step = 1.0 / job.info.fps if job.info.fps > 0 else 0.04
    gaps = tuple(sorted({*job.info.gaps_s, *damage.gaps(step)}))
    job.info = replace(job.info, gaps_s=gaps)
    job.store.upsert_video(job.info)
    log.warning("%s: %d undecodable frame(s) skipped", job.video, len(damage))


def _feed(job: VideoJob, feed: _Feed, sel: list[Any]) -> None:
    t1 = time.perf_counter()
    payload = feed.unit.process(sel)
    feed.seconds += time.perf_counter() - t1
    feed.processed += len(sel)
    if feed.unit.checkpointed:
        if isinstance(payload, np.ndarray):
            feed.buffer_rows.append(payload)
        else:
            feed.buffer_rows.extend(payload)
        feed.buffer_times.extend(request_time(f) for f in sel)
        if feed.part_end is None:
            feed.part_end = request_time(sel[0]) + PART_S
        if request_time(sel[-1]) >= feed.part_end:
            _flush(job, feed)
            feed.part_end = None
    job.progress.advance(feed.unit.name, len(sel))


def _flush(job: VideoJob, feed: _Feed) -> None:
    if not feed.buffer_times:
        return
    payload: Any
    if feed.buffer_rows and isinstance(feed.buffer_rows[0], np.ndarray):
        payload = np.concatenate(feed.buffer_rows, axis=0)
    else:
        payload = list(feed.buffer_rows)
    job.cache.save_part(feed.unit.name, list(feed.buffer_times), payload)
    feed.parts.append((list(feed.buffer_times), payload))
    feed.buffer_times, feed.buffer_rows = [], []
