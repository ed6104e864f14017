"""Fixtures of the crash and concurrency suites: one short real clip with speech and a sign, one
fork server for cheap CLI runs, and one uninterrupted index of the clip (the baseline every
interrupted run is compared with)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.crash.clip import make_clip
from tests.crash.forkserver import ForkServer

# small batches give every frame stage several progress points to die at
INDEX_ENV = {"VIDSEEK_INDEX__BATCH_SIZE": "2"}


@dataclass(frozen=True)
class Baseline:
    data_dir: Path
    video: Path
    video_id: str
    points: list[str]  # every kill point the uninterrupted run passed, in order
    snapshot: dict


@pytest.fixture(scope="session")
def crash_clip(intel_media: Path, tmp_path_factory) -> Path:
    return make_clip(intel_media, tmp_path_factory.mktemp("crash-clip"))


@pytest.fixture(scope="session")
def forks(tmp_path_factory) -> Iterator[ForkServer]:
    server = ForkServer(tmp_path_factory.mktemp("forks"))
    yield server
    server.close()


@pytest.fixture(scope="session")
def baseline(crash_clip: Path, forks: ForkServer, tmp_path_factory) -> Baseline:
    from tests.crash.snapshot import snapshot, video_id_of

    root = tmp_path_factory.mktemp("baseline")
    data_dir, log = root / "data", root / "points.log"
    env = {**INDEX_ENV, "VIDSEEK_TEST_KILL_LOG": str(log)}
    res = forks.run("--data-dir", str(data_dir), "index", str(crash_clip), "--no-progress", env=env)
    assert res.rc == 0, res
    vid = video_id_of(data_dir)
    return Baseline(data_dir, crash_clip, vid, log.read_text().split(), snapshot(data_dir, vid))
