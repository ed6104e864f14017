"""The index pipeline's progress events, per-stage timings and stage digests: a real build of
real footage (three Intel sample clips) with a recorder sink."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from vidseek.config import Settings
from vidseek.memory.pipeline import STAGE_ORDER, BuildReport, StageResult, build, plan_digests
from vidseek.memory.pipeline import plan as plan_module
from vidseek.memory.pipeline.events import LogSink, resolve_sink
from vidseek.progress import ProgressEvent, ProgressRecorder

from .conftest import make_info


@pytest.fixture(scope="module")
def recorded(short_video: Path, real_models, tmp_path_factory):
    """(settings, first report, its events, second report, its events) of two builds of the
    13 s video: shots and the caption stages run, detection and OCR are off, no audio."""
    from vidseek.models.hub import ModelHub

    settings = Settings(
        data_dir=tmp_path_factory.mktemp("pipeline") / "data",
        index={"clip_len_s": 2.5},
        models={"detector": None, "ocr": None},
    )
    hub = ModelHub(settings)
    hub.set("text_embedder", real_models[2])
    first, second = ProgressRecorder(), ProgressRecorder()
    report1 = build(short_video, settings, hub, progress=first)
    report2 = build(short_video, settings, hub, progress=second)
    return settings, report1, first.events, report2, second.events


def _by_task(events: list[ProgressEvent], kind: str) -> list[str]:
    return [e.task for e in events if e.kind == kind]


def test_every_stage_starts_and_finishes_in_order(recorded, short_video):
    _, report, events, _, _ = recorded
    assert {e.scope for e in events} == {str(short_video)}
    assert _by_task(events, "start") == list(STAGE_ORDER)
    finished = _by_task(events, "finish")
    assert sorted(finished) == sorted(STAGE_ORDER) and len(finished) == len(STAGE_ORDER)
    # the stages after the frame pass finish in order, each before the next one starts
    tail = list(STAGE_ORDER[STAGE_ORDER.index("speech") :])
    assert finished[-len(tail) :] == tail
    for stage in STAGE_ORDER:
        start = next(i for i, e in enumerate(events) if e.kind == "start" and e.task == stage)
        end = next(i for i, e in enumerate(events) if e.kind == "finish" and e.task == stage)
        assert start < end
    detail = {e.task: e.detail for e in events if e.kind == "finish"}
    assert detail["detections"] == "skipped: models.detector is off"
    assert detail["speech"] == "skipped: the video has no audio track"
    assert detail["shots"].endswith(" s")


def test_stages_that_run_report_totals_and_reach_them(recorded):
    _, report, events, _, _ = recorded
    starts = {e.task: e for e in events if e.kind == "start"}
    duration = report.info.duration_s
    shots = starts["shots"]
    assert shots.unit == "frames" and shots.total == 26  # 2 fps over 12.9 s
    advances = [e.done for e in events if e.kind == "advance" and e.task == "shots"]
    assert advances == sorted(advances) and advances[-1] == shots.total
    clips = report.result("clips").items
    assert starts["captions"].total == clips == 5 and starts["captions"].unit == "clips"
    captions_done = [e.done for e in events if e.kind == "advance" and e.task == "captions"]
    assert captions_done == [1, 2, 3, 4, 5]
    assert starts["summaries"].total == report.result("summaries").items
    assert starts["write"].total == 5
    finish = {e.task: e for e in events if e.kind == "finish"}
    for stage in ("shots", "captions", "summaries", "write"):
        assert finish[stage].done == starts[stage].total
    assert duration == pytest.approx(12.9, abs=0.2)


def test_a_rerun_reports_every_stage_cached_or_skipped(recorded):
    _, _, _, report, events = recorded
    assert _by_task(events, "start") == list(STAGE_ORDER)
    detail = {e.task: e.detail for e in events if e.kind == "finish"}
    assert detail["probe"].endswith(" s")
    for stage in ("shots", "clips", "captions", "summaries", "write"):
        assert detail[stage] == "cached"
    assert not [e for e in events if e.kind == "advance"]
    assert {r.stage: r.status for r in report.stages}["write"] == "cached"


def test_build_report_has_per_stage_timings(recorded):
    _, report, _, again, _ = recorded
    duration = report.info.duration_s
    timings = {t.stage: t for t in report.timings()}
    ran = [r.stage for r in report.stages if r.status == "done"]
    assert list(timings) == [*ran, "frame pass", "decode wait", "overall"]
    for stage in ("shots", "clips", "captions", "summaries", "write"):
        result = report.result(stage)
        assert result.seconds > 0 and result.video_s == pytest.approx(duration)
        assert timings[stage].speed == pytest.approx(duration / result.seconds)
        assert result.speed == timings[stage].speed
    overall = timings["overall"]
    assert overall.wall_s == report.seconds and overall.video_s == duration
    assert report.speed == pytest.approx(duration / report.seconds)
    # the pass (decode and frame stages) is part of the whole run
    assert 0 < report.frame_pass_s < report.seconds
    assert 0 <= report.decode_s <= report.frame_pass_s
    # a re-run that only probes: no frame pass, no stage rates but probe's
    again_timings = [t.stage for t in again.timings()]
    assert again_timings == ["probe", "overall"]
    assert again.result("shots").speed is None


def test_timings_of_a_resumed_stage_count_only_the_video_it_processed():
    info = make_info("vid", Path("/x.mp4"), duration_s=100.0)
    report = BuildReport(
        info=info,
        stages=[
            StageResult("detections", "done", "", seconds=5.0, video_s=40.0),
            StageResult("screen_text", "cached", "unchanged since the last run"),
        ],
        seconds=20.0,
        decode_s=1.0,
        frame_pass_s=8.0,
    )
    rows = {t.stage: t for t in report.timings()}
    assert list(rows) == ["detections", "frame pass", "decode wait", "overall"]
    assert rows["detections"].speed == 8.0
    assert rows["frame pass"].speed == 5.0 and rows["overall"].speed == 5.0


def test_digests_cover_the_code_of_each_stage_backend(monkeypatch):
    settings = Settings(models={"ocr": "tesseract:eng", "detector": "ultralytics:yolo11n.pt"})
    info = make_info("vid", Path("/x.mp4"))
    before = plan_digests(Path("/x.mp4"), info, settings)
    real = plan_module.source_digest

    def changed_ocr(module: str) -> str:
        return "edited" if module == "vidseek.models.ocr" else real(module)

    monkeypatch.setattr(plan_module, "source_digest", changed_ocr)
    after = plan_digests(Path("/x.mp4"), info, settings)
    moved = {stage for stage in before if before[stage] != after[stage]}
    # OCR's code changed: screen text and every stage that reads it recompute, nothing else
    assert moved == {"screen_text", "captions", "summaries", "write"}


def test_progress_true_logs_lines_and_false_is_silent(caplog):
    assert resolve_sink(False) is None and resolve_sink(None) is None
    recorder = ProgressRecorder()
    assert resolve_sink(recorder) is recorder
    sink = resolve_sink(True)
    assert isinstance(sink, LogSink)
    with caplog.at_level(logging.INFO, logger="vidseek.memory.pipeline"):
        sink(ProgressEvent("start", "shots", 0, 26, "frames", "a.mp4"))
        sink(ProgressEvent("advance", "shots", 13, 26, "frames", "a.mp4"))
        sink(ProgressEvent("advance", "shots", 14, 26, "frames", "a.mp4"))  # within 5 s: quiet
        sink(ProgressEvent("finish", "shots", 26, 26, "frames", "a.mp4", "1.2 s"))
    assert [r.getMessage() for r in caplog.records] == [
        "a.mp4: shots started 0/26 frames",
        "a.mp4: shots 13/26 frames",
        "a.mp4: shots finished 1.2 s",
    ]
