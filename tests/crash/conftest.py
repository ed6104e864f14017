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


# the test planner (vidseek.testing.planner): two searches, then finish with the first match
PLANNER = "test:search_speech+search_segments"
QUESTIONS = {
    "q1": "what is the access code for the north door",
    "q2": "what does the sign say",
    "q3": "which room is closed",
    "q4": "how many people are in the classroom",
    "q5": "where is the north door",
    "q6": "what number is written on the sign",
    "q7": "is there a bottle",
    "q8": "what is said at the start",
}


def agent_env(log: Path | None = None) -> dict[str, str]:
    """Settings of every agent run of these suites: the test planner (logging what it is asked
    to ``log``) and the dvd policy (the planner chooses the tools)."""
    planner = PLANNER + (f"?log={log}" if log else "")
    return {"VIDSEEK_MODELS__PLANNER": planner, "VIDSEEK_AGENT__POLICY": "dvd"}


def copy_data(baseline: Baseline, dst: Path) -> Path:
    """A private copy of the baseline's data dir (indexed, nothing asked yet)."""
    import shutil

    shutil.copytree(baseline.data_dir, dst)
    return dst


def write_scenario(folder: Path, video: Path, qids: list[str], name: str = "crashrun") -> Path:
    """A scenario over ``video`` with open questions (the vidseek haystack schema)."""
    import json

    qa = [{"uid": q, "question": QUESTIONS[q], "answer": "", "answer_text": "-"} for q in qids]
    (folder / "questions.jsonl").write_text(
        json.dumps({"key": "clip", "video_path": str(video), "qa": qa}) + "\n"
    )
    path = folder / "scenario.yaml"
    path.write_text(
        f"name: {name}\ndataset: haystack\nannotations: {folder / 'questions.jsonl'}\n"
        f"video_root: {video.parent}\nconcurrency: 2\noutput: {folder / 'run.jsonl'}\n"
    )
    return path


@pytest.fixture(scope="session")
def alone(baseline: Baseline, forks: ForkServer, tmp_path_factory) -> dict[str, dict]:
    """qid -> the prediction (answer, evidence) of each question asked alone, one at a time, on
    an index nothing else touches."""
    from vidseek.scenarios.runs import load_run

    folder = tmp_path_factory.mktemp("alone")
    data = copy_data(baseline, folder / "data")
    scenario = write_scenario(folder, baseline.video, list(QUESTIONS))
    res = forks.run(
        "--data-dir", str(data), "run", str(scenario), "--concurrency", "1", env=agent_env()
    )
    assert res.rc == 0, res
    rows = {r["qid"]: r for r in load_run(folder / "run.jsonl")}
    assert set(rows) == set(QUESTIONS) and not any(r["error"] for r in rows.values()), rows
    return {q: answer_of(r["prediction"]) for q, r in rows.items()}


def answer_of(pred: dict) -> dict:
    """What must not change between runs: the answer and its evidence spans."""
    spans = [(round(e["start_s"], 2), round(e["end_s"], 2)) for e in pred.get("evidence") or []]
    return {"answer": pred.get("answer"), "evidence": spans}
