"""Concurrent stages (``index.concurrent_stages``): the frame units in threads of their own and
speech beside the frame pass give the very index of the one-thread run, and an error in one unit
ends the pass and reaches the caller. Real footage (the crash suite's 6 s clip with a spoken
sentence and a sign), real detector, OCR, whisper and MiniLM."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.crash.clip import SIGN, make_clip
from vidseek.config import Settings
from vidseek.memory.pipeline import STAGE_ORDER, build
from vidseek.memory.pipeline.engine import LocalEngine
from vidseek.memory.pipeline.frame_pass import FramePass
from vidseek.memory.pipeline.unit_threads import UnitThreads
from vidseek.memory.store import SegmentStore
from vidseek.progress import ProgressRecorder

OUTPUTS = ("shots.json", "detections.json", "screen_text.json", "speech.json")


@pytest.fixture(scope="module")
def clip(intel_media: Path, tmp_path_factory) -> Path:
    return make_clip(intel_media, tmp_path_factory.mktemp("concurrent-clip"))


@pytest.fixture(scope="module")
def hub(real_models):
    from vidseek.models.hub import ModelHub

    hub = ModelHub(Settings())
    detector, ocr, text_embedder = real_models
    hub.set("detector", detector)
    hub.set("ocr", ocr)
    hub.set("text_embedder", text_embedder)
    return hub


def _index(clip: Path, root: Path, hub, concurrent: bool) -> tuple[Settings, Any, Any]:
    settings = Settings(
        data_dir=root / "data", index={"batch_size": 4, "concurrent_stages": concurrent}
    )
    recorder = ProgressRecorder()
    report = build(clip, settings, hub, progress=recorder)
    return settings, report, recorder


def _index_rows(settings: Settings, video_id: str) -> dict[str, Any]:
    art = settings.videos_dir / video_id
    import json

    out: dict[str, Any] = {}
    for name in OUTPUTS:
        data = json.loads((art / name).read_text())
        data.pop("model", None)
        out[name] = data
    store = SegmentStore(settings)
    try:
        segs = store.get_segments(video_id)
        out["segments"] = sorted((s.id, s.start_s, s.end_s, s.text) for s in segs)
    finally:
        store.close()
    return out


@pytest.fixture(scope="module")
def both(clip: Path, hub, tmp_path_factory):
    root = tmp_path_factory.mktemp("concurrent")
    seq = _index(clip, root / "seq", hub, concurrent=False)
    conc = _index(clip, root / "conc", hub, concurrent=True)
    return seq, conc


def test_concurrent_stages_give_the_index_of_the_one_thread_run(both):
    (s1, r1, _), (s2, r2, _) = both
    vid = r1.info.video_id
    one, many = _index_rows(s1, vid), _index_rows(s2, vid)
    assert one == many
    # the clip's work is really there: speech, the sign, people, segments
    assert "access code" in " ".join(s["text"] for s in one["speech.json"]["segments"]).lower()
    assert "ROOM" in " ".join(r[1] for r in one["screen_text.json"]["rows"]).upper(), SIGN
    assert one["detections.json"]["rows"] and one["segments"]
    assert [r.stage for r in r1.stages] == [r.stage for r in r2.stages] == list(STAGE_ORDER)


def test_speech_runs_beside_the_frame_pass_and_progress_stays_whole(both):
    (_, _, seq), (_, _, conc) = both
    for recorder in (seq, conc):
        starts = [e.task for e in recorder.events if e.kind == "start"]
        assert starts == list(STAGE_ORDER)
        finished = recorder.finished()
        assert sorted(finished) == sorted(STAGE_ORDER)
    events = conc.events
    speech_start = next(i for i, e in enumerate(events) if e.kind == "start" and e.task == "speech")
    frames_end = max(
        i for i, e in enumerate(events) if e.kind == "finish" and e.task == "screen_text"
    )
    assert speech_start < frames_end  # speech started before the frame pass ended
    # one after the other, speech starts only once the frame stages are done
    seq_start = next(
        i for i, e in enumerate(seq.events) if e.kind == "start" and e.task == "speech"
    )
    assert seq_start > max(
        i for i, e in enumerate(seq.events) if e.kind == "finish" and e.task == "screen_text"
    )
    # every frame stage's advances reach its total, whichever thread sent them
    for task in ("shots", "detections", "screen_text"):
        start = next(e for e in events if e.kind == "start" and e.task == task)
        done = [e.done for e in events if e.kind == "advance" and e.task == task]
        assert done == sorted(done) and done[-1] == start.total


class Breaks:
    """A frame unit that fails on its second batch (injected through ``open_frame_pass``)."""

    name, fps, max_side, checkpointed = "breaks", 2.0, 320, False

    def __init__(self) -> None:
        self.batches = 0

    def process(self, frames: Any) -> None:
        self.batches += 1
        if self.batches == 2:
            raise RuntimeError("unit broke on purpose")

    def finish(self, parts: Any, art: Any, duration_s: float) -> int:
        raise AssertionError("a failed pass must not finish its units")


class BreakingEngine(LocalEngine):
    def open_frame_pass(self, job, units):
        return FramePass(job, [*units, Breaks()])


def test_an_error_in_one_unit_ends_the_pass_and_reaches_the_caller(clip, hub, tmp_path):
    settings = Settings(
        data_dir=tmp_path / "data",
        index={"batch_size": 2, "concurrent_stages": True},
        models={"ocr": None},
    )
    recorder = ProgressRecorder()
    store = SegmentStore(settings)
    t0 = time.perf_counter()
    try:
        with pytest.raises(RuntimeError, match="unit broke on purpose"):
            BreakingEngine(settings, hub, store, recorder).run(clip)
    finally:
        store.close()
    assert time.perf_counter() - t0 < 60
    assert not [t for t in threading.enumerate() if t.name.startswith("vidseek-")]
    detail = {e.task: e.detail for e in recorder.events if e.kind == "finish"}
    for stage in ("shots", "detections"):
        assert detail[stage] == "failed: unit broke on purpose"
    # speech ran beside the pass: its work is kept (recorded done), nothing after it ran
    assert detail["speech"].endswith(" s")
    assert "clips" not in detail and "write" not in detail


def test_unit_threads_keep_each_units_order_and_raise_the_first_error():
    seen: dict[int, list[int]] = {0: [], 1: []}

    def handle(i: int, item: int) -> None:
        if i == 1 and item == 5:
            raise ValueError("five")
        time.sleep(0.001 * (item % 3))
        seen[i].append(item)

    with UnitThreads(["a", "b"], lambda i, x: seen[i].append(x), depth=2) as threads:
        for n in range(50):
            threads.put(0, n)
            threads.put(1, n)
        threads.close()
    assert seen == {0: list(range(50)), 1: list(range(50))}

    seen = {0: [], 1: []}
    with pytest.raises(ValueError, match="five"):
        with UnitThreads(["a", "b"], handle, depth=2) as threads:
            for n in range(1000):  # the producer blocks on full queues unless the error stops it
                threads.put(0, n)
                threads.put(1, n)
            threads.close()
    assert seen[1] == [0, 1, 2, 3, 4] and len(seen[0]) < 1000
    assert not [t for t in threading.enumerate() if t.name.startswith("vidseek-")]


class DeafRecognizer:
    """A speech model that fails (the speech stage's error, raised in its own thread)."""

    ref = "test:deaf"

    def transcribe(self, path: str, word_timestamps: bool = True) -> Any:
        raise RuntimeError("speech model broke on purpose")


def test_a_speech_error_beside_the_pass_is_raised_after_the_frame_stages_are_kept(
    clip, real_models, tmp_path
):
    from vidseek.models.hub import ModelHub

    settings = Settings(
        data_dir=tmp_path / "data", index={"concurrent_stages": True}, models={"ocr": None}
    )
    hub = ModelHub(settings)
    hub.set("detector", real_models[0])
    hub.set("speech", DeafRecognizer())
    recorder = ProgressRecorder()
    with pytest.raises(RuntimeError, match="speech model broke on purpose"):
        build(clip, settings, hub, progress=recorder)
    detail = {e.task: e.detail for e in recorder.events if e.kind == "finish"}
    assert detail["speech"] == "failed: speech model broke on purpose"
    assert detail["shots"].endswith(" s") and detail["detections"].endswith(" s")
    assert "captions" not in detail and "write" not in detail  # they need speech
    assert not [t for t in threading.enumerate() if t.name.startswith("vidseek-")]
