"""Crash safety of ``vidseek index``, kept honest: a seeded chain of runs, each SIGKILLed by
itself at a random point of the next stage (``vidseek.killpoints``), then one run to the end, must
give exactly the index of the uninterrupted baseline: the same segment ids, spans and texts, the
same speech and screen text, detections and vectors, no duplicates and no temporary files."""

from __future__ import annotations

import signal
from collections import Counter

import pytest

from tests.crash.conftest import INDEX_ENV
from tests.crash.kills import pick_points, seeds, stage_of
from tests.crash.snapshot import leftovers, snapshot

pytestmark = pytest.mark.slow


def test_the_baseline_passes_every_stage_and_reads_the_clip(baseline):
    stages = list(dict.fromkeys(stage_of(p) for p in baseline.points))
    assert stages[:2] == ["probe", "frames"] and stages[-1] == "write", stages
    assert {"shots", "detections", "screen_text", "speech", "captions", "summaries"} <= set(stages)
    snap = baseline.snapshot
    assert snap["indexed"] and set(snap["stages"].values()) == {"done"}
    spoken = " ".join(t[4] for t in snap["texts"] if t[1] == "speech").lower()
    written = " ".join(t[4] for t in snap["texts"] if t[1] == "screen_text").upper()
    assert "access code" in spoken and "ROOM" in written, snap["texts"]
    assert len({s[0] for s in snap["segments"]}) == len(snap["segments"])


@pytest.mark.parametrize("seed", seeds())
def test_killed_at_random_points_of_every_stage_ends_as_the_baseline(
    baseline, forks, tmp_path, seed
):
    data_dir = tmp_path / "data"
    args = ("--data-dir", str(data_dir), "index", str(baseline.video), "--no-progress")
    kills: Counter[str] = Counter()
    for point in pick_points(baseline.points, seed):
        res = forks.run(*args, env={**INDEX_ENV, "VIDSEEK_TEST_KILL_AT": point})
        assert res.rc == -signal.SIGKILL, f"meant to die at {point}: {res}"
        kills[stage_of(point)] += 1
    assert len(kills) >= 9, kills  # every stage was cut at least once
    final = forks.run(*args, env=INDEX_ENV)
    assert final.rc == 0, final
    assert "write: done" in final.stdout or "write: cached" in final.stdout, final
    got = snapshot(data_dir, baseline.video_id)
    for key, want in baseline.snapshot.items():
        assert got[key] == want, f"{key} differs after kills at {dict(kills)}"
    assert leftovers(data_dir) == []
    print(f"seed {seed}: survived {sum(kills.values())} kills: {dict(kills)}")
