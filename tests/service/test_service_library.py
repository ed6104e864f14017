"""The service layer on the real indexed demo haystack: library, search, ask, threads."""

from __future__ import annotations

import pytest


def test_library_lists_the_demo_with_what_indexed_it(service, demo_lib):
    _settings, video, manifest = demo_lib
    videos = service.list_videos()
    assert len(videos) == 1
    v = videos[0]
    assert v.name == video.name and v.complete and v.indexed_at
    assert v.duration_s == pytest.approx(manifest["duration_s"], abs=0.5)
    assert v.models.get("speech") and v.segments.get("clip", 0) > 0


def test_search_the_library_finds_the_spoken_needle(service, demo_lib):
    _settings, _video, manifest = demo_lib
    speech = next(n for n in manifest["needles"] if n["kind"] == "speech")
    res = service.search("access code for the north laboratory")
    assert res.videos_searched == 1 and res.hits
    top = res.hits[0]
    assert top.start_s < speech["end_s"] and speech["start_s"] < top.end_s
    assert "speech" in " ".join(top.channels)


def test_ask_cites_the_span_and_streams_events(service, demo_lib):
    _settings, _video, manifest = demo_lib
    speech = next(n for n in manifest["needles"] if n["kind"] == "speech")
    vid = service.list_videos()[0].video_id
    events = []
    res = service.ask(
        vid, "What is the access code for the north laboratory?", on_event=events.append
    )
    assert res.evidence, res
    ev = res.evidence[0]
    assert ev.start_s < speech["end_s"] and speech["start_s"] < ev.end_s
    assert res.policy == "dvd" and res.planner == "scripted:search-then-finish"
    assert res.budgets.tool_calls == 2 and res.budgets.total_tokens == 300
    kinds = [e.kind for e in events]
    assert kinds[0] == "start" and "tool_end" in kinds and kinds[-1] == "answer"
    detail = service.thread(res.thread_id)
    assert detail.turns == 1 and detail.history[0].question.startswith("What is the access code")
    assert detail.title.startswith("What is the access code")
