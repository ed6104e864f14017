"""The index builder: stage functions, the subject registry, and the staged pipeline's caching,
resume and fault handling on real footage (the Intel sample clips) with real small models."""

from __future__ import annotations

from pathlib import Path

import pytest

from vidseek.config import Settings
from vidseek.errors import ModelCallError, VidseekError
from vidseek.footage.authoring import concat
from vidseek.media.types import Shot, Span
from vidseek.memory import stages as S
from vidseek.memory.subjects import SubjectRegistry, subject_key
from vidseek.models.base import ClipCaption, TextLine

# --- pure stage functions ------------------------------------------------------------------------


def _tiles(spans, duration):
    assert spans[0].start_s == 0.0
    assert spans[-1].end_s == pytest.approx(duration)
    for a, b in zip(spans, spans[1:], strict=False):
        assert a.end_s == pytest.approx(b.start_s)


def test_make_clips_splits_long_shots_and_never_crosses_a_cut():
    shots = [Shot(0.0, 31.0, 0, "start"), Shot(31.0, 33.0, 1), Shot(33.0, 58.0, 2)]
    clips = S.make_clips(shots, 58.0, clip_len_s=10.0)
    _tiles(clips, 58.0)
    # the 2 s shot is shorter than a quarter clip: it joins the shot before it (31 -> 33)
    assert all(c.end_s <= 33.0 or c.start_s >= 33.0 for c in clips)
    assert [round(c.duration_s, 2) for c in clips[:3]] == [11.0, 11.0, 11.0]
    assert all(7.0 <= c.duration_s <= 13.0 for c in clips)
    assert 33.0 in [c.start_s for c in clips]


def test_make_clips_without_shots_covers_the_video():
    clips = S.make_clips([], 25.0, 10.0)
    _tiles(clips, 25.0)
    assert len(clips) == 2


def test_make_scenes_merges_units_within_bounds_and_prefers_cuts():
    clips = [Span(i * 10.0, (i + 1) * 10.0) for i in range(30)]  # 300 s
    cuts = [0.0, 70.0, 150.0, 260.0]
    scenes = S.make_scenes(clips, 60.0, 180.0, 300.0, cuts_s=cuts)
    _tiles(scenes, 300.0)
    assert [s.end_s for s in scenes][:2] == [70.0, 150.0]
    assert all(s.duration_s <= 180.0 for s in scenes)
    one_long = S.make_scenes([Span(0.0, 500.0)], 60.0, 180.0, 500.0)
    _tiles(one_long, 500.0)
    assert len(one_long) == 3


def test_merge_text_lines_joins_noisy_readings_into_one_span():
    lines = [
        TextLine(10.0, "STORE ROOM 27 CLOSED", 0.9),
        TextLine(11.0, "STORE R0OM 27 CLOSED", 0.7),
        TextLine(12.0, "STORE ROOM 27 CLOSED", 0.95),
        TextLine(14.0, "STORE ROOM 27 CLOSED", 0.9),  # one missed sample at 13 s
        TextLine(30.0, "EXIT", 0.8),
        TextLine(31.0, "|", 0.2),  # OCR noise: too short
    ]
    spans = S.merge_text_lines(lines, step_s=1.0)
    assert [(s.start_s, s.end_s, s.text) for s in spans] == [
        (10.0, 15.0, "STORE ROOM 27 CLOSED"),
        (30.0, 31.0, "EXIT"),
    ]
    assert spans[0].frames == 4


def test_merge_text_lines_folds_partial_readings_of_a_sign_appearing():
    lines = [
        TextLine(91.0, "OM 27 CLOSED", 0.8),
        TextLine(91.0, "STORE ROO", 0.8),
        TextLine(92.0, "M27C", 0.5),
        TextLine(93.0, "STORE ROOM 27 CLOSED", 0.9),
        TextLine(94.0, "STORE ROOM 27 CLOSED", 0.9),
    ]
    spans = S.merge_text_lines(lines, step_s=1.0)
    assert [(s.start_s, s.end_s, s.text) for s in spans] == [(91.0, 95.0, "STORE ROOM 27 CLOSED")]


def test_summarize_texts_is_map_reduce():
    calls = []

    class Counting:
        ref = "counting"

        def summarize(self, texts, instruction):
            calls.append(len(texts))
            return f"summary of {len(texts)}"

    out = S.summarize_texts([f"caption {i}" for i in range(30)], Counting(), "summarise", fan_in=12)
    assert calls == [12, 12, 6, 3]
    assert out == "summary of 3"


def test_subject_registry_merges_incrementally_and_rewrites_captions():
    reg = SubjectRegistry("vid")
    assert reg.merge(["The man in the red jacket", "a dog"], 0.0, 10.0) == [
        "The man in the red jacket",
        "a dog",
    ]
    assert subject_key("The dogs") == "dog"
    cap = ClipCaption(
        description="man in red jacket walks the dogs past a bench",
        subjects=["man in red jacket", "the dogs", "bench"],
    )
    reg.canonicalize(cap, 40.0, 50.0)
    assert cap.subjects == ["The man in the red jacket", "a dog", "bench"]
    assert "The man in the red jacket walks" in cap.description
    man = reg.find("man in the red jacket")
    assert man is not None and (man.first_seen_s, man.last_seen_s, man.mentions) == (0.0, 50.0, 2)
    assert "man in red jacket" in man.aliases
    again = SubjectRegistry.from_list(reg.to_list(), "vid")
    assert again.find("man in red jacket").name == "The man in the red jacket"
    assert len(again) == 3


# --- the pipeline on real footage ----------------------------------------------------------------


@pytest.fixture(scope="session")
def short_video(intel_media: Path, tmp_path_factory) -> Path:
    """13 s of three real clips (two cuts), no audio track."""
    names = [
        "intel_classroom",
        "intel_worker-zone-detection",
        "intel_head-pose-face-detection-male",
    ]
    folder = tmp_path_factory.mktemp("builder-video")
    out = concat([intel_media / f"{n}.mp4" for n in names], folder / "short.mp4")
    return out


class Counting:
    """Wraps a real model and counts the frames (or clips) it was given."""

    def __init__(self, model, method: str):
        self.model, self.method, self.calls = model, method, 0
        self.ref = model.ref
        for attr in ("labels", "dim", "can_see"):
            if hasattr(model, attr):
                setattr(self, attr, getattr(model, attr))

    def __getattr__(self, name):
        return getattr(self.model, name)

    def _count(self, *args, **kwargs):
        self.calls += len(args[0]) if self.method != "caption_clip" else 1
        return getattr(self.model, self.method)(*args, **kwargs)

    def detect(self, *a, **k):
        return self._count(*a, **k)

    def read(self, *a, **k):
        return self._count(*a, **k)


def _settings(tmp_path: Path, **index) -> Settings:
    base = {"detect_fps": 1.0, "ocr_fps": 0.5, "clip_len_s": 2.5}
    return Settings(data_dir=tmp_path / "data", index={**base, **index})


def _status(report) -> dict[str, str]:
    return {r.stage: r.status for r in report.stages}


@pytest.fixture(scope="session")
def real_models():
    """The real offline detector and OCR (loaded once)."""
    from vidseek.models.hub import ModelHub

    hub = ModelHub(Settings())
    try:
        return hub.detector, hub.ocr, hub.text_embedder
    except VidseekError as exc:
        pytest.skip(f"offline models are not installed: {exc}")


def _hub(settings: Settings, real_models):
    from vidseek.models.hub import ModelHub

    detector, ocr, text = real_models
    hub = ModelHub(settings)
    hub.set("detector", Counting(detector, "detect"))
    hub.set("ocr", Counting(ocr, "read"))
    hub.set("text_embedder", text)
    return hub


@pytest.mark.slow
def test_changing_one_setting_recomputes_only_the_stages_it_affects(
    short_video, tmp_path, real_models
):
    from vidseek.memory.builder import build
    from vidseek.memory.store import SegmentStore

    settings = _settings(tmp_path)
    hub = _hub(settings, real_models)
    first = build(short_video, settings, hub, progress=False)
    st = _status(first)
    assert st["speech"] == "skipped"
    assert all(st[s] == "done" for s in ("shots", "detections", "screen_text", "clips", "captions"))
    assert hub.detector.calls == 13 and hub.ocr.calls == 7  # 1 fps and 0.5 fps over 12.9 s

    again = build(short_video, settings, hub, progress=False)
    assert set(_status(again).values()) <= {"done", "cached", "skipped"}
    assert [r.stage for r in again.stages if r.status == "done"] == ["probe"]
    assert hub.detector.calls == 13 and hub.ocr.calls == 7

    changed = settings.model_copy(deep=True)
    changed.index.detect_min_conf = 0.9
    hub2 = _hub(changed, real_models)
    third = build(short_video, changed, hub2, progress=False)
    st = _status(third)
    assert {s for s, v in st.items() if v == "done"} == {
        "probe",
        "detections",
        "captions",
        "summaries",
        "write",
    }
    assert st["screen_text"] == st["shots"] == st["clips"] == "cached"
    assert hub2.ocr.calls == 0 and hub2.detector.calls == 13

    store = SegmentStore(changed)
    vid = first.info.video_id
    dets = store.detections(vid)
    assert all(d.confidence >= 0.9 for d in dets)
    clips = store.get_segments(vid, "clip")
    assert [c.index for c in clips] == list(range(len(clips)))
    store.close()


@pytest.mark.slow
def test_failing_captioner_keeps_finished_clips_and_a_rerun_completes_them(
    short_video, tmp_path, real_models
):
    from vidseek.memory.builder import build
    from vidseek.memory.store import SegmentStore
    from vidseek.models.metadata import MetadataCaptioner

    settings = Settings(
        data_dir=tmp_path / "data",
        index={"clip_len_s": 2.5, "caption_concurrency": 1},
        models={"detector": None, "ocr": None},
    )

    class Flaky(MetadataCaptioner):
        """A captioning backend that breaks at its third clip until repaired."""

        def __init__(self, broken: bool):
            super().__init__("openai-compatible:http://127.0.0.1:9/v1#flaky")
            self.broken, self.calls = broken, 0

        def caption_clip(self, frames, context, focus=None):
            self.calls += 1
            if self.broken and self.calls >= 3:
                raise ModelCallError("http://127.0.0.1:9/v1: connection refused")
            return super().caption_clip(frames, context, focus)

    from vidseek.models.hub import ModelHub

    hub = ModelHub(settings)
    hub.set("text_embedder", real_models[2])
    flaky = Flaky(broken=True)
    hub.set("captioner", flaky)
    with pytest.raises(ModelCallError) as err:
        build(short_video, settings, hub, progress=False)
    message = str(err.value)
    assert "\n" not in message
    assert str(short_video) in message and "2 of 5 clips done" in message
    assert "connection refused" in message and "flaky" in message

    repaired = Flaky(broken=False)
    hub.set("captioner", repaired)
    report = build(short_video, settings, hub, progress=False)
    assert _status(report)["captions"] == "done"
    assert _status(report)["shots"] == "cached"
    assert repaired.calls == 3  # only the clips that were not finished
    store = SegmentStore(settings)
    clips = store.get_segments(report.info.video_id, "clip")
    assert len(clips) == 5 and len({c.id for c in clips}) == 5
    assert all("[metadata caption" in c.text for c in clips)
    store.close()


def test_video_without_audio_skips_speech_and_says_so(intel_media, tmp_path):
    from typer.testing import CliRunner

    from vidseek.cli import app

    video = intel_media / "intel_people-detection.mp4"
    env = {"VIDSEEK_INDEX__OCR_FPS": "0.5", "VIDSEEK_INDEX__DETECT_FPS": "1"}
    result = CliRunner().invoke(
        app,
        [
            "--data-dir",
            str(tmp_path / "d"),
            "index",
            str(video),
            "--no-progress",
            "--profile",
            "offline",
        ],
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert "speech: skipped, the video has no audio track" in result.output
    assert "write: done" in result.output


def test_a_missing_model_is_a_clear_error(intel_media, tmp_path):
    from vidseek.memory.builder import build

    settings = Settings(
        data_dir=tmp_path / "d", models={"detector": "ultralytics:/nonexistent/detector.pt"}
    )
    with pytest.raises(VidseekError) as err:
        build(intel_media / "intel_people-detection.mp4", settings, progress=False)
    assert "/nonexistent/detector.pt" in str(err.value)


def test_a_second_builder_of_the_same_video_waits_for_the_first(intel_media, tmp_path):
    import fcntl
    import threading

    from vidseek.media.probe import video_id
    from vidseek.memory.builder import build

    video = intel_media / "intel_people-detection.mp4"
    settings = Settings(data_dir=tmp_path / "d", models={"detector": None, "ocr": None})
    lock = settings.videos_dir / f".{video_id(video)}.lock"
    lock.parent.mkdir(parents=True)
    reports = []
    with lock.open("a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)  # "another process" is indexing this video
        worker = threading.Thread(
            target=lambda: reports.append(build(video, settings, progress=False))
        )
        worker.start()
        worker.join(timeout=3.0)
        assert worker.is_alive() and not reports
        fcntl.flock(fh, fcntl.LOCK_UN)
    worker.join(timeout=300)
    assert reports and _status(reports[0])["write"] == "done"


@pytest.mark.slow
def test_a_seeing_captioner_gets_decoded_frames_and_canonical_subjects(
    short_video, tmp_path, real_models
):
    """Unit test of the caption stage's plumbing with a scripted vision captioner (no model)."""
    import numpy as np

    from vidseek.memory.builder import build
    from vidseek.memory.store import SegmentStore
    from vidseek.models.hub import ModelHub

    class Scripted:
        ref = "scripted:vlm"
        can_see = True

        def __init__(self):
            self.frames: list[tuple[int, tuple[int, ...], float]] = []
            self.known: list[list[str]] = []

        def caption_clip(self, frames, context, focus=None):
            self.frames.append((len(frames), frames[0].shape, float(np.std(frames[0]))))
            self.known.append(list(context.subjects))
            name = "The presenter" if len(self.frames) == 1 else "presenters"
            return ClipCaption(f"{name} stands in a room", subjects=[name], model=self.ref)

        def summarize(self, texts, instruction):
            return " / ".join(texts)[:200]

    settings = Settings(
        data_dir=tmp_path / "data",
        index={"clip_len_s": 2.5, "caption_concurrency": 1},
        models={"detector": None, "ocr": None},
    )
    hub = ModelHub(settings)
    hub.set("text_embedder", real_models[2])
    vlm = Scripted()
    hub.set("captioner", vlm)
    report = build(short_video, settings, hub, progress=False)
    assert len(vlm.frames) == 5
    for n, shape, spread in vlm.frames:
        assert 2 <= n <= 8 and shape[2] == 3 and max(shape[:2]) == 448 and spread > 5.0
    assert vlm.known[0] == [] and vlm.known[-1] == ["The presenter"]
    store = SegmentStore(settings)
    clips = store.get_segments(report.info.video_id, "clip")
    assert all(c.fields["subjects"] == ["The presenter"] for c in clips)
    assert "The presenter stands" in clips[-1].text
    (subject,) = store.subjects(report.info.video_id)
    assert subject["name"] == "The presenter" and subject["aliases"] == ["presenters"]
    assert subject["mentions"] == 5
    store.close()
