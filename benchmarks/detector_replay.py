"""What sparse detection costs, without running the detector again: replay a full-rate run.

``benchmarks/index.py --configs full --work-dir DIR`` leaves every sampled frame's detections in
``DIR/full/videos/*/detections.json``. This script decodes the same frames (for the motion test's
thumbnails), then runs the real sparse path of ``YoloDetector.detect`` (run planning, the carry
from batch to batch of a stream, interpolation) with the model replaced by a lookup of those
recorded detections. For each setting it prints the share of frames the model would see and the
seconds with a person kept, against the full-rate run: the cost side of the ``every`` and
``motion`` options, measured in seconds instead of the half hour a real run takes.

    python benchmarks/detector_replay.py --haystack .bench/hay30 --full .bench/full30/full

Measured on the 30-minute haystack (2 fps, batches of 32): every=8 motion=12 without the carry
ran the model on 1,134 of 3,600 frames and kept 1,187 of 1,296 person-seconds; with the carry
and motion 20: 765 frames, 1,158 seconds (a real index run then found 1,159).
"""

from __future__ import annotations

import argparse
import json
import logging
import threading
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from vidseek.config import Settings
from vidseek.models.base import Detection
from vidseek.models.detector import YoloDetector, thumbnail

console = Console()


class ReplayDetector(YoloDetector):
    """The sparse path of ``YoloDetector`` over recorded detections (no weights loaded)."""

    def __init__(self, recorded: dict[float, list[Detection]], every: int, motion: float) -> None:
        self.recorded, self.every, self.motion = recorded, every, motion
        self.runs = 0
        self._stream = threading.local()

    def _detect_all(
        self,
        images: Sequence[np.ndarray],
        times_s: Sequence[float],
        classes: Sequence[str] | None = None,
    ) -> list[list[Detection]]:
        self.runs += len(images)
        return [list(self.recorded.get(round(float(t), 3), [])) for t in times_s]


def load_recorded(full_dir: Path) -> dict[float, list[Detection]]:
    """The full-rate run's person detections by frame time."""
    out: dict[float, list[Detection]] = defaultdict(list)
    for path in full_dir.glob("videos/*/detections.json"):
        for row in json.loads(path.read_text())["rows"]:
            if row[1] == "person":
                out[round(float(row[0]), 3)].append(
                    Detection(time_s=row[0], label="person", confidence=row[2], box=tuple(row[3]))
                )
    return out


def decode(video: Path, fps: float, max_side: int) -> tuple[list[float], list[np.ndarray]]:
    """Frame times and small stand-in frames (the motion test only needs the thumbnails, so
    each frame is stored as its 32x18 thumbnail blown up to a tiny image)."""
    from vidseek.media.parallel import iter_frame_batches, sample_times
    from vidseek.media.probe import probe

    settings = Settings()
    info = probe(video, settings)
    times, frames = [], []
    for batch in iter_frame_batches(
        video, sample_times(info.duration_s, fps), settings, max_side=max_side
    ):
        for frame in batch:
            times.append(round(float(frame.time_s), 3))
            frames.append(np.repeat(thumbnail(frame.image)[..., None], 3, axis=2).astype(np.uint8))
    return times, frames


def replay(
    recorded: dict[float, list[Detection]],
    times: list[float],
    frames: list[np.ndarray],
    every: int,
    motion: float,
    carry: bool,
    batch: int,
) -> tuple[int, set[int]]:
    det = ReplayDetector(recorded, every, motion)
    if carry:
        det.reset()
    seconds: set[int] = set()
    for a in range(0, len(times), batch):
        found = det.detect(frames[a : a + batch], times[a : a + batch])
        seconds |= {int(times[a + i]) for i, dets in enumerate(found) if dets}
    return det.runs, seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--haystack", type=Path, required=True, help="folder with haystack.mp4")
    ap.add_argument("--full", type=Path, required=True, help="the full-rate run's data dir")
    ap.add_argument("--fps", type=float, default=Settings().index.detect_fps)
    ap.add_argument("--batch", type=int, default=Settings().index.batch_size)
    ap.add_argument("--every", default="4,8,12")
    ap.add_argument("--motion", default="12,20,30,1000")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    recorded = load_recorded(args.full)
    times, frames = decode(args.haystack / "haystack.mp4", args.fps, Settings().media.max_side)
    want = {int(t) for t in times if recorded.get(t)}
    table = Table(
        title=f"sparse detection replayed on {len(times)} frames ({len(want)} s with a person)"
    )
    for col in (
        "every",
        "motion",
        "carry",
        "model runs",
        "share",
        "person-s kept",
        "recall",
        "more",
    ):
        table.add_column(col, justify="right")
    for every in (int(e) for e in args.every.split(",")):
        for motion in (float(m) for m in args.motion.split(",")):
            for carry in (False, True):
                runs, got = replay(recorded, times, frames, every, motion, carry, args.batch)
                table.add_row(
                    str(every),
                    f"{motion:g}",
                    "yes" if carry else "no",
                    str(runs),
                    f"{runs / len(times):.2f}",
                    f"{len(got & want)}/{len(want)}",
                    f"{len(got & want) / max(1, len(want)):.3f}",
                    str(len(got - want)),
                )
    console.print(table)


if __name__ == "__main__":
    main()
