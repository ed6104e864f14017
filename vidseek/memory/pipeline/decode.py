"""Frames for the frame stages: batches decoded at the sampled times, read ahead in a thread,
and resized per stage (OCR reads bigger frames than the other models)."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from vidseek.config import Settings
from vidseek.media.types import DecodeDamage, Frame, VideoInfo


def request_time(frame: Frame) -> float:
    """The sampled time a frame was decoded for (its own time when it was not requested)."""
    return frame.requested_s if frame.requested_s is not None else frame.time_s


def resize_frames(frames: list[Frame], max_side: int) -> list[Frame]:
    """Frames no larger than ``max_side`` (OCR reads bigger frames than the other models)."""
    out = []
    for f in frames:
        h, w = f.image.shape[:2]
        if max(h, w) <= max_side:
            out.append(f)
            continue
        from PIL import Image

        scale = max_side / max(h, w)
        img = Image.fromarray(f.image).resize(
            (max(1, round(w * scale)), max(1, round(h * scale))), Image.BILINEAR
        )
        out.append(Frame(f.time_s, np.asarray(img), f.requested_s))
    return out


def iter_batches(
    video: Path,
    times: list[float],
    settings: Settings,
    max_side: int,
    info: VideoInfo,
    damage: DecodeDamage | None = None,
) -> Iterator[list[Frame]]:
    """Batches of frames decoded at ``times`` (one streamed pass, parallel when configured);
    frames a damaged file cannot give are skipped and collected in ``damage``."""
    from vidseek.media.parallel import iter_frame_batches

    if not times:
        return iter(())
    return iter_frame_batches(
        video,
        times,
        settings,
        batch_size=settings.index.batch_size,
        max_side=max_side,
        info=info,
        damage=damage,
    )


def prefetch(batches: Iterator[list[Frame]], depth: int = 3) -> Iterator[tuple[list[Frame], float]]:
    """Decode ahead in a thread while the models work on the previous batch; yields each batch
    and how long the consumer waited for it."""
    q: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def worker() -> None:
        try:
            for batch in batches:
                while not stop.is_set():
                    try:
                        q.put(batch, timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(done)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            q.put(exc)

    thread = threading.Thread(target=worker, name="vidseek-decode", daemon=True)
    thread.start()
    try:
        while True:
            t0 = time.perf_counter()
            item = q.get()
            waited = time.perf_counter() - t0
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item, waited
    finally:
        stop.set()
        thread.join(timeout=5)
