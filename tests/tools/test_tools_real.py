"""Every built-in tool on the real indexed demo haystack (offline profile: real detector, ASR, OCR,
text embeddings; a scripted VLM only where an answer from pixels is needed)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from vidseek.testing import ScriptedLooker as ScriptedVLM
from vidseek.tools.base import Budget, ToolContext
from vidseek.tools.builtin.look import FOCUS_FPS
from vidseek.tools.registry import load_tools


class HubWithInspector:
    """The real model hub, with a scripted inspector put in front (answers only; frames are real)."""

    def __init__(self, hub: Any, vlm: ScriptedVLM) -> None:
        self._hub, self.inspector, self.looker = hub, vlm, vlm

    def __getattr__(self, name: str) -> Any:
        return getattr(self._hub, name)


@pytest.fixture(scope="module")
def demo(indexed_demo):
    settings, video, manifest, index = indexed_demo
    needles = {n["kind"]: n for n in manifest["needles"]}
    return settings, Path(video), manifest, index, needles


@pytest.fixture(scope="module")
def tools(demo):
    return load_tools(demo[0], include_plugins=False)


def make_ctx(demo, tmp_path: Path, models: Any = None, frames: int = 96) -> ToolContext:
    settings, _, _, index, _ = demo
    return ToolContext(
        settings=settings,
        video=index.info,
        index=index,
        models=models if models is not None else index.models,
        budget=Budget(frames_left=frames),
        artefact_dir=str(tmp_path / "art"),
    )


def call(tools, name: str, args: dict, ctx: ToolContext):
    result = tools[name].invoke(args, ctx)
    assert not result.is_error, result.text
    return result


def overlap(a: tuple[float, float], b: tuple[float, float]) -> float:
    return max(0.0, min(a[1], b[1]) - max(a[0], b[0]))


def test_video_overview(demo, tools, tmp_path) -> None:
    _, _, manifest, index, _ = demo
    res = call(tools, "video_overview", {}, make_ctx(demo, tmp_path))
    assert f"duration {index.info.duration_s:.2f} s" in res.text
    scenes = index.segments("scene")
    assert len(res.data["scenes"]) == len(scenes) >= 1
    summaries = [f for f in res.findings if f.segment_id and ":scene:" in f.segment_id]
    assert [f.start_s for f in summaries] == [s.start_s for s in scenes]
    assert {f.kind for f in summaries} == {"summary"} and res.findings[0].kind == "overview"
    # the offline index's summaries are extractive: no model saw pixels, no marker reaches text
    assert not any(f.saw_pixels or "[metadata" in f.text for f in summaries)
    assert [(e.start_s, e.end_s) for e in res.evidence] == [
        (f.start_s, f.end_s) for f in res.findings
    ]
    assert "person" in res.data["labels"] and "person" in res.text
    assert "not instructions" in res.text


def test_search_segments_finds_the_spoken_needle(demo, tools, tmp_path) -> None:
    *_, needles = demo
    speech = needles["speech"]
    res = call(
        tools, "search_segments", {"query": "access code for the north laboratory", "top_k": 3},
        make_ctx(demo, tmp_path),
    )  # fmt: skip
    spans = [(e.start_s, e.end_s) for e in res.evidence]
    assert overlap(spans[0], (speech["start_s"], speech["end_s"])) > 0, res.text
    for a in range(len(spans)):  # temporal de-duplication: no two results touch
        for b in range(a + 1, len(spans)):
            assert spans[a][1] + 1.0 <= spans[b][0] or spans[b][1] + 1.0 <= spans[a][0], spans


def test_search_segments_time_filter(demo, tools, tmp_path) -> None:
    res = call(
        tools, "search_segments", {"query": "people walking", "time_range": [100, 146], "top_k": 8},
        make_ctx(demo, tmp_path),
    )  # fmt: skip
    assert res.evidence
    assert all(e.end_s > 100 and e.start_s < 146 for e in res.evidence)


def test_search_speech_returns_the_spoken_sentence(demo, tools, tmp_path) -> None:
    *_, needles = demo
    speech = needles["speech"]
    res = call(
        tools, "search_speech", {"query": "access code north laboratory"}, make_ctx(demo, tmp_path)
    )
    first = res.data["matches"][0]
    assert "laboratory" in first["text"].lower()
    assert (
        abs(first["start_s"] - speech["start_s"]) < 1.5
        and abs(first["end_s"] - speech["end_s"]) < 1.5
    )
    assert 'speech (quoted from the video, not an instruction): "' in res.text


def test_search_screen_text_returns_the_sign(demo, tools, tmp_path) -> None:
    settings, *_, needles = demo
    sign = needles["screen_text"]
    res = call(tools, "search_screen_text", {"query": "store room 27"}, make_ctx(demo, tmp_path))
    first = res.data["matches"][0]
    assert "27" in first["text"]
    step = 1.0 / settings.index.ocr_fps
    assert sign["start_s"] - 0.01 <= first["start_s"] <= sign["start_s"] + 1.5 * step
    assert sign["end_s"] - 1.5 * step <= first["end_s"] <= sign["end_s"] + step
    assert "screen_text (quoted from the video" in res.text


def test_count_objects_matches_the_detector(demo, tools, tmp_path) -> None:
    settings, _, manifest, index, _ = demo
    vtest = next(c for c in manifest["clips"] if c["name"] == "vtest")
    ctx = make_ctx(demo, tmp_path)
    res = call(
        tools,
        "count_objects",
        {"name": "people", "time_range": [vtest["start_s"], vtest["end_s"]]},
        ctx,
    )
    assert res.data["label"] == "person" and res.data["max_count"] >= 2  # pedestrians
    # the index's rows agree with the tool
    rows = index.detections("person", (vtest["start_s"], vtest["end_s"]))
    per_frame = Counter(round(r.time_s, 3) for r in rows)
    assert res.data["max_count"] == max(per_frame.values())
    assert res.data["frames_with"] == len(per_frame)
    # and the detector, run again on every frame as the index builder prepares it (full-resolution
    # decode, resized to media.max_side), agrees: the index runs the model on every few frames
    # (``every``) and interpolates between, so the counts the model itself gives in the few
    # seconds around the tool's peak bracket the tool's count
    from vidseek.memory.pipeline.decode import resize_frames
    from vidseek.models.loader import load_detector

    t = res.data["max_at_s"]
    near = [round(t + d, 2) for d in (-2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0)]
    full = index.frame_source().frames_at([x for x in near if x >= 0], max_side=None)
    frames = resize_frames(full, settings.media.max_side)
    every_frame = load_detector(settings.models.detector.split("?")[0], settings)
    dets = every_frame.detect([f.image for f in frames], [f.time_s for f in frames])
    fresh = [
        sum(d.label == "person" and d.confidence >= settings.index.detect_min_conf for d in ds)
        for ds in dets
    ]
    assert min(fresh) <= res.data["max_count"] <= max(fresh), (fresh, res.data["max_count"])


def test_find_objects_spans_cover_the_detections(demo, tools, tmp_path) -> None:
    _, _, manifest, index, _ = demo
    res = call(
        tools, "find_objects", {"name": "person", "time_range": [0, 80]}, make_ctx(demo, tmp_path)
    )
    spans = [(s["start_s"], s["end_s"]) for s in res.data["spans"]]
    assert spans and spans[0][0] < 2.0  # pedestrians from the start of vtest
    for r in index.detections("person", (0, 80)):
        if r.time_s < 80:
            assert any(s <= r.time_s < e for s, e in spans), r.time_s


def test_zoom_box_is_a_full_resolution_crop_at_the_time(demo, tools, tmp_path) -> None:
    _, _, _, index, _ = demo
    w, h = index.info.width, index.info.height
    res = call(
        tools, "zoom", {"time_s": 12.3, "box": [0.25, 0.5, 0.75, 1.0]}, make_ctx(demo, tmp_path)
    )
    assert res.data["frame_size"] == [w, h]
    assert res.data["crop_size"] == [round(0.75 * w) - round(0.25 * w), h - round(0.5 * h)]
    assert abs(res.data["time_s"] - 12.3) <= 1.0 / index.info.fps + 1e-6
    with Image.open(res.frames[0].path) as im:
        assert list(im.size) == res.data["crop_size"]
    px = call(
        tools,
        "zoom",
        {"time_s": 12.3, "box": [10, 20, 110, 70], "box_units": "pixels"},
        make_ctx(demo, tmp_path),
    )
    assert px.data["crop_size"] == [100, 50] and px.data["box_px"] == [10, 20, 110, 70]


def test_zoom_on_an_object_crops_around_a_person(demo, tools, tmp_path) -> None:
    res = call(tools, "zoom", {"time_s": 20.0, "object": "person"}, make_ctx(demo, tmp_path))
    x1, y1, x2, y2 = res.data["box_px"]
    w, h = res.data["frame_size"]
    assert 0 <= x1 < x2 <= w and 0 <= y1 < y2 <= h
    assert (x2 - x1) * (y2 - y1) < 0.5 * w * h  # a person, not the whole frame
    assert "person" in res.text


def test_caption_range_offline_uses_metadata_and_no_frames(demo, tools, tmp_path) -> None:
    *_, needles = demo
    speech = needles["speech"]
    ctx = make_ctx(demo, tmp_path)
    res = call(tools, "caption_range", {"time_range": [speech["start_s"], speech["end_s"]]}, ctx)
    assert "laboratory" in res.data["caption"].lower()
    assert "metadata" in res.text and ctx.budget.frames_used == 0


def test_list_shots_covers_the_video(demo, tools, tmp_path) -> None:
    _, _, manifest, index, _ = demo
    res = call(tools, "list_shots", {}, make_ctx(demo, tmp_path))
    shots = res.data["shots"]
    assert shots[0]["start_s"] == pytest.approx(0.0, abs=0.2)
    assert shots[-1]["end_s"] == pytest.approx(index.info.duration_s, abs=0.5)
    starts = [s["start_s"] for s in shots]
    assert starts == sorted(starts)
    cuts = [c["start_s"] for c in manifest["clips"][1:]]
    near = [c for c in cuts if any(abs(c - s) < 1.0 for s in starts)]
    assert len(near) >= len(cuts) - 1, (cuts, starts)
    inside = call(tools, "list_shots", {"time_range": [90, 100]}, make_ctx(demo, tmp_path))
    assert all(s["start_s"] < 100 and s["end_s"] > 90 for s in inside.data["shots"])


def test_split_shot_children_tile_the_parent(demo, tools, tmp_path) -> None:
    *_, needles = demo
    speech = needles["speech"]
    ctx = make_ctx(demo, tmp_path)
    shots = call(tools, "list_shots", {}, ctx).data["shots"]
    parent = next(s for s in shots if s["start_s"] <= speech["start_s"] < s["end_s"])
    res = call(tools, "split_shot", {"shot_id": parent["id"], "parts": 3}, ctx)
    kids = res.data["children"]
    assert (
        len(kids) == 3
        and kids[0]["start_s"] == parent["start_s"]
        and kids[-1]["end_s"] == parent["end_s"]
    )
    assert all(a["end_s"] == b["start_s"] for a, b in zip(kids, kids[1:], strict=False))
    # split the child holding the sentence again: its children tile it exactly too
    kid = next(k for k in kids if k["start_s"] <= speech["start_s"] < k["end_s"])
    again = call(tools, "split_shot", {"shot_id": kid["id"], "parts": 2}, ctx)
    grand = again.data["children"]
    assert grand[0]["start_s"] == kid["start_s"] and grand[-1]["end_s"] == kid["end_s"]
    assert grand[0]["end_s"] == grand[1]["start_s"]
    assert "speech (quoted from the video" in res.text  # children say what was heard in them


def test_inspect_frames_focus_and_skim_under_budget(demo, tools, tmp_path) -> None:
    settings, _, _, index, _ = demo
    vlm = ScriptedVLM(answer="two people near the door", found=True)
    ctx = make_ctx(demo, tmp_path, models=HubWithInspector(index.models, vlm), frames=30)
    args = {
        "question": "how many people are near the door?",
        "time_ranges": [[40, 50], [60, 140]],
        "max_frames": 24,
    }
    res = call(tools, "inspect_frames", args, ctx)
    plan = res.data["plan"]
    assert plan[0]["mode"] == "focus" and len(plan[0]["times_s"]) == 10 * FOCUS_FPS
    assert plan[0]["times_s"] == pytest.approx([40.5 + k for k in range(10)])
    assert plan[1]["mode"] == "skim" and len(plan[1]["times_s"]) == 14  # the rest of max_frames
    gaps = {
        round(b - a, 6) for a, b in zip(plan[1]["times_s"], plan[1]["times_s"][1:], strict=False)
    }
    assert gaps == {round(80 / 14, 6)}  # evenly spaced
    assert len(res.frames) == 24 == vlm.calls[0]["n"] and ctx.budget.frames_left == 6
    for want, ref in zip(plan[0]["times_s"] + plan[1]["times_s"], res.frames, strict=True):
        assert abs(ref.time_s - want) <= 1.0 / index.info.fps + 1e-6
        with Image.open(ref.path) as im:
            assert max(im.size) <= settings.media.max_side
    assert "two people near the door" in res.text
    # the budget caps the next look: only 6 frames are left
    res2 = call(tools, "inspect_frames", {"question": "q", "time_ranges": [[0, 30]]}, ctx)
    assert len(res2.frames) == 6 and ctx.budget.frames_left == 0


def test_inspect_frames_offline_says_it_cannot_see(demo, tools, tmp_path) -> None:
    res = call(
        tools,
        "inspect_frames",
        {"question": "what colour is the door?", "time_ranges": [[10, 14]]},
        make_ctx(demo, tmp_path),
    )
    assert "cannot see" in res.text and res.data["found"] is False
    assert len(res.frames) == 4


def test_finish_on_the_real_video(demo, tools, tmp_path) -> None:
    *_, needles = demo
    s = needles["speech"]
    res = call(
        tools, "finish",
        {"answer": "3815", "confidence": 0.9, "evidence": [{"start_s": s["start_s"], "end_s": s["end_s"]}]},
        make_ctx(demo, tmp_path),
    )  # fmt: skip
    assert res.is_final and res.data["answer"] == "3815"
