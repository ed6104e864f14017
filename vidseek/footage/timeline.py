"""The haystack's timeline: where visual inserts and timed needles go (never overlapping, with a
quiet margin between them) and which filler pieces fill the time in between.

Every choice comes from the builder's one seeded random generator, in a fixed order, so the same
seed lays out the same timeline.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from vidseek.errors import VidseekError
from vidseek.footage.visuals import VisualSpec

FPS = 10
WIDTH, HEIGHT = 640, 360
VIDEO_EXT = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v"}
MARGIN_S = 1.2  # quiet time kept between two timed needles


class HaystackError(VidseekError):
    """A haystack that cannot be built from the given clips and settings."""


@dataclass
class TimedNeedle:
    """A needle instance laid over the filler: a sign and/or a spoken sentence."""

    id: str
    kind: str  # speech | ocr | multihop | distractor
    instance: int
    length: float
    speech: str | None = None
    sign: str | None = None
    sign_len: float = 0.0
    gap: float = 0.0
    wav: Path | None = None
    voice: str = "en-us"
    speed: int = 150
    style: str = "sign"
    start: float = 0.0

    @property
    def speech_start(self) -> float:
        """When the spoken part begins (after the sign and the gap for a two-step needle)."""
        return self.start + (self.sign_len + self.gap if self.kind == "multihop" else 0.0)


@dataclass(frozen=True)
class Insert:
    """A visual needle spliced in whole: ``frames`` frames of ``spec`` as needle ``needle_id``."""

    spec: VisualSpec
    needle_id: str
    instance: int
    frames: int


@dataclass
class Segment:
    """One piece of the haystack: a cut of a filler clip, or a visual insert."""

    kind: str  # filler | clip | still
    source: str
    source_file: str
    path: Path
    start: float
    frames: int
    source_start: float
    hflip: bool
    needle: str | None
    instance: int | None

    @property
    def end(self) -> float:
        return self.start + self.frames / FPS


def clock(t: float) -> str:
    """mm:ss of a whole second."""
    t = max(0, int(t))
    return f"{t // 60:02d}:{t % 60:02d}"


def clock_range(a: float, b: float) -> str:
    return f"{clock(math.floor(a))}-{clock(math.ceil(b))}"


def list_clips(clips: Path | str | Sequence[Path | str]) -> list[Path]:
    """The filler clips: a folder's video files (sorted) or the given list; all must exist."""
    if isinstance(clips, (str, Path)) and Path(clips).is_dir():
        found = sorted(p for p in Path(clips).iterdir() if p.suffix.lower() in VIDEO_EXT)
    elif isinstance(clips, (str, Path)):
        raise HaystackError(f"{clips}: not a folder of clips")
    else:
        found = [Path(c) for c in clips]
    for p in found:
        if not p.is_file():
            raise HaystackError(f"{p}: no such clip")
    if not found:
        raise HaystackError(f"{clips}: no video clips found ({', '.join(sorted(VIDEO_EXT))})")
    return found


def place(
    rng: random.Random,
    total: float,
    length: float,
    taken: list[tuple[float, float]],
    slot: tuple[float, float],
    allowed: Callable[[float, float], bool],
) -> float:
    """A start time for an item of ``length`` inside ``slot`` (fractions of ``total``), clear of
    every taken span by MARGIN_S; falls back to anywhere when the slot is full."""

    def free(a: float, b: float) -> bool:
        return allowed(a, b) and all(b + MARGIN_S <= s or a >= e + MARGIN_S for s, e in taken)

    lo, hi = 2.0, total - length - 2.0
    for frac_lo, frac_hi, tries in ((slot[0], slot[1], 300), (0.0, 1.0, 3000)):
        a0, a1 = max(lo, frac_lo * total), min(hi, frac_hi * total - length)
        if a1 < a0:
            continue
        for _ in range(tries):
            start = round(rng.uniform(a0, a1), 1)
            if free(start, start + length):
                return start
    raise HaystackError(
        f"cannot place all needles in {total / 60:.1f} minutes; build a longer haystack"
    )


def place_inserts(rng: random.Random, total: float, inserts: Sequence[Insert]) -> list[float]:
    """Start times of the visual inserts (by index), spread in shuffled order over the video."""
    order = list(range(len(inserts)))
    rng.shuffle(order)
    spans: list[tuple[float, float]] = []
    starts: dict[int, float] = {}
    for k, idx in enumerate(order):
        length = inserts[idx].frames / FPS
        slot = (0.03 + 0.94 * k / len(order), 0.03 + 0.94 * (k + 1) / len(order))
        start = place(rng, total, length, spans, slot, lambda a, b: True)
        spans.append((start, start + length))
        starts[idx] = start
    return [starts[i] for i in range(len(inserts))]


def place_timed(
    rng: random.Random,
    total: float,
    timed: Sequence[TimedNeedle],
    visual_spans: Sequence[tuple[float, float]],
) -> None:
    """Set each timed needle's start: spread in shuffled order, off the visual inserts (so each
    needle is cleanly one modality) and clear of each other."""
    vis = list(visual_spans)

    def outside_visuals(a: float, b: float) -> bool:
        return all(b <= s or a >= e for s, e in vis)

    taken = list(vis)
    order = list(range(len(timed)))
    rng.shuffle(order)
    for k, idx in enumerate(order):
        t = timed[idx]
        slot = (0.02 + 0.96 * k / len(order), 0.02 + 0.96 * (k + 1) / len(order))
        t.start = place(
            rng, total, t.length, [s for s in taken if s not in vis], slot, outside_visuals
        )
        taken.append((t.start, t.start + t.length))


def lay_segments(
    rng: random.Random,
    total: float,
    fillers: Sequence[Path],
    durations: dict[Path, float],
    inserts: Sequence[Insert],
    starts: Sequence[float],
) -> list[Segment]:
    """The whole timeline: filler cuts (random source, length, offset, mirror) up to each
    insert, the insert, and filler again to the end."""
    segments: list[Segment] = []
    cursor = 0
    last_src: Path | None = None

    def fill(until: int) -> None:
        nonlocal cursor, last_src
        while cursor < until:
            choices = [p for p in fillers if p != last_src] or list(fillers)
            src = rng.choice(choices)
            avail = int((durations[src] - 0.3) * FPS)
            if avail < 10:
                avail = max(1, int(durations[src] * FPS) - 1)
            want = min(until - cursor, rng.randint(80, 350), avail)
            if until - cursor - want < 15 and until - cursor <= avail:
                want = until - cursor
            s0 = round(rng.uniform(0, max(0.0, (avail - want) / FPS)), 1)
            hflip = rng.random() < 0.3
            segments.append(
                Segment(
                    "filler", src.stem, src.name, src, cursor / FPS, want, s0, hflip, None, None
                )
            )
            cursor += want
            last_src = src

    for start, i in sorted((starts[i], i) for i in range(len(inserts))):
        ins = inserts[i]
        v = ins.spec
        fill(round(start * FPS))
        kind = "still" if v.is_still else "clip"
        segments.append(
            Segment(
                kind,
                v.name,
                v.path.name,
                v.path,
                cursor / FPS,
                ins.frames,
                0.0,
                False,
                ins.needle_id,
                ins.instance,
            )
        )
        cursor += ins.frames
    fill(round(total * FPS))
    return segments
