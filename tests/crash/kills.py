"""Choosing kill points: seeded, one random point of every stage a baseline run passed."""

from __future__ import annotations

import os
import random
from collections import Counter

SEED_ENV = "VIDSEEK_CRASH_SEED"  # a longer soak: VIDSEEK_CRASH_CHAINS=5 VIDSEEK_CRASH_SEED=7
CHAINS_ENV = "VIDSEEK_CRASH_CHAINS"
FRAME_PASS = ("shots", "detections", "screen_text")
# stages that run beside the frame pass (index.concurrent_stages): a run cut in a frame stage may
# already have finished them, so they are cut first, before any frame stage
BESIDE = ("speech",)


def seeds() -> list[int]:
    first = int(os.environ.get(SEED_ENV, "15"))
    return [first + i for i in range(int(os.environ.get(CHAINS_ENV, "1")))]


def stage_of(point: str) -> str:
    return point.split(".", 1)[0]


def pick_points(points: list[str], seed: int, stages: list[str] | None = None) -> list[str]:
    """For every stage (in the order the baseline reached them, the stages beside the frame pass
    first after probe), one point ``NAME:N``: the N-th
    pass through NAME, drawn uniformly from the stage's passes in the baseline."""
    rng = random.Random(seed)
    order = list(dict.fromkeys(stage_of(p) for p in points))
    first = [s for s in order if s not in FRAME_PASS and s != "frames" and s not in BESIDE]
    first = first[:1] + [s for s in order if s in BESIDE]  # after probe
    order = first + [s for s in order if s not in first]
    last_framed = [s for s in order if s in FRAME_PASS][-1:]
    chosen: list[str] = []
    for stage in stages or order:
        passes = [p for p in points if stage_of(p) == stage]
        if stage in FRAME_PASS and stage not in last_framed:
            # the frame stages share one pass whose parts cover every frame once any of them
            # has finished, so only the last of them may be cut after its finish
            passes = [p for p in passes if not p.endswith(".finish")]
        if not passes:
            continue
        i = rng.randrange(len(passes))
        name = passes[i]
        n = Counter(passes[: i + 1])[name]
        chosen.append(f"{name}:{n}")
    return chosen
