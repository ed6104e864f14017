"""Bad arguments come back as tool error messages the planner can act on (never exceptions).
A small in-test index stands in for the database here; real results are in test_tools_real.py."""

from __future__ import annotations

import pytest

from vidseek.config import Settings
from vidseek.testing import FakeHub, FakeIndex
from vidseek.testing import ScriptedLooker as ScriptedVLM
from vidseek.testing import make_tool_context as make_ctx
from vidseek.tools.registry import load_tools

TOOLS = load_tools(Settings(tools={"load_plugins": False}), include_plugins=False)

# (tool, arguments, words the error message must contain)
BAD = [
    ("video_overview", {"x": 1}, ["x", "Extra inputs"]),
    ("search_segments", {}, ["query", "Field required"]),
    ("search_segments", {"query": "a", "time_range": [30, 10]}, ["time_range", "reversed"]),
    ("search_segments", {"query": "a", "time_range": [70, 80]}, ["outside the video"]),
    ("search_segments", {"query": "a", "granularity": "page"}, ["granularity"]),
    ("search_segments", {"query": "a", "top_k": 0}, ["top_k"]),
    ("inspect_frames", {"question": "q", "time_ranges": []}, ["time_ranges"]),
    ("inspect_frames", {"question": "q", "time_ranges": [[5, 1]]}, ["time_ranges[0]", "reversed"]),
    ("inspect_frames", {"question": "q", "time_ranges": [[1, 2, 3]]}, ["time_ranges.0"]),
    ("inspect_frames", {"question": "q", "time_ranges": [[1, 2], [10, 11], [20, 21]], "max_frames": 2},
     ["3 spans need at least 3 frames"]),
    ("inspect_frames", {"question": "q", "time_ranges": [[float("nan"), 2]]}, ["finite"]),
    ("zoom", {"time_s": -1}, ["outside the video"]),
    ("zoom", {"time_s": 5, "box": [0.5, 0.5, 0.2, 0.9]}, ["empty or reversed"]),
    ("zoom", {"time_s": 5, "box": [0, 0, 2, 0.5]}, ["within 0-1"]),
    ("zoom", {"time_s": 5, "box": [0, 0, 900, 100], "box_units": "pixels"}, ["outside the 640x360"]),
    ("zoom", {"time_s": 5, "box": [0, 0, 1, 1], "object": "person"}, ["either box or object"]),
    ("zoom", {"time_s": 5, "object": "unicorn"}, ["does not know 'unicorn'", "person"]),
    ("caption_range", {"time_range": [10, 10]}, ["empty or reversed"]),
    ("find_objects", {"name": "unicorn"}, ["does not know 'unicorn'", "person"]),
    ("find_objects", {"name": ""}, ["name"]),
    ("count_objects", {"name": "person", "time_range": [61, 62]}, ["outside the video"]),
    ("count_objects", {"name": "person", "min_confidence": 2}, ["min_confidence"]),
    ("list_shots", {"time_range": [20, 5]}, ["reversed"]),
    ("split_shot", {"shot_id": "fakevid:shot:000099"}, ["unknown shot id", "list_shots"]),
    ("split_shot", {"shot_id": "fakevid:shot:000001.p5of4"}, ["malformed"]),
    ("split_shot", {"shot_id": "fakevid:shot:000001", "parts": 9}, ["parts"]),
    ("search_speech", {"query": ""}, ["query"]),
    ("search_screen_text", {"query": "exit", "time_range": [1]}, ["time_range"]),
    ("count_occurrences", {}, ["what", "Field required"]),
    ("count_occurrences", {"what": "a", "channels": ["smell"]}, ["channels"]),
    ("count_occurrences", {"what": "a", "channels": []}, ["channels"]),
    ("count_occurrences", {"what": "a", "min_gap_s": -1}, ["min_gap_s"]),
    ("count_occurrences", {"what": "a", "time_range": [70, 80]}, ["outside the video"]),
    ("order_events", {"events": [{"what": "a"}]}, ["events"]),
    ("order_events", {"events": [{"what": "a"}, {"what": "b", "when": 3}]}, ["Extra inputs"]),
    ("find_around", {"anchor": "a", "relation": "near"}, ["relation"]),
    ("find_around", {"anchor": "a", "window_s": 0}, ["window_s"]),
    ("finish", {"answer": "x", "confidence": 1.5}, ["confidence"]),
    ("finish", {"answer": "", "confidence": 0.5}, ["answer"]),
    ("finish", {"answer": "x", "confidence": 0.5, "evidence": [{"start_s": 9, "end_s": 3}]},
     ["evidence[0]", "reversed"]),
]  # fmt: skip


@pytest.mark.parametrize("name, args, words", BAD, ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD)])
def test_bad_arguments_become_tool_errors(tmp_path, name, args, words) -> None:
    class Det:
        ref, labels = "fake-detector", ("person",)

    ctx = make_ctx(tmp_path, hub=FakeHub(inspector=ScriptedVLM(), detector=Det()))
    result = TOOLS[name].invoke(args, ctx)
    assert result.is_error, result.text
    assert result.text.startswith("ERROR: " + name)
    for w in words:
        assert w in result.text, (w, result.text)
    assert ctx.budget.frames_used == 0  # a refused call spends nothing


def test_every_builtin_has_a_bad_argument_case() -> None:
    assert {b[0] for b in BAD} == set(TOOLS)


def test_a_tool_bug_is_reported_not_raised(tmp_path) -> None:
    class Broken(FakeIndex):
        def search_speech(self, *a, **k):
            raise RuntimeError("database went away")

    result = TOOLS["search_speech"].invoke({"query": "x"}, make_ctx(tmp_path, index=Broken()))
    assert result.is_error and "RuntimeError: database went away" in result.text


def test_frame_budget_is_respected(tmp_path) -> None:
    vlm = ScriptedVLM()
    ctx = make_ctx(tmp_path, hub=FakeHub(inspector=vlm), frames_left=5)
    res = TOOLS["inspect_frames"].invoke({"question": "q", "time_ranges": [[0, 60]]}, ctx)
    assert not res.is_error and len(res.frames) == 5 and vlm.calls[0]["n"] == 5
    assert ctx.budget.frames_left == 0
    # the VLM's tokens are reported for the agent to charge, not charged twice here
    assert res.tokens_used == 500 and ctx.budget.tokens_used == 0
    again = TOOLS["inspect_frames"].invoke({"question": "q", "time_ranges": [[0, 60]]}, ctx)
    assert again.is_error and "frame budget" in again.text


def test_finish_is_final_and_normalises(tmp_path) -> None:
    ctx = make_ctx(tmp_path)
    res = TOOLS["finish"].invoke(
        {"answer": " two ", "confidence": 0.8, "choice": "b",
         "evidence": [{"start_s": 3, "end_s": 99, "why": "both visible"}]},
        ctx,
    )  # fmt: skip
    assert res.is_final and not res.is_error
    assert res.data["answer"] == "two" and res.data["choice"] == "B"
    assert res.data["evidence"] == [{"start_s": 3.0, "end_s": 60.0, "why": "both visible"}]
