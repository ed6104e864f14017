"""The relation tools' own logic over a small in-test index (the real index is exercised in
tests/agent/test_relations.py): what lies before, after and during an anchor, events that
overlap, and detections counted by the class a phrase names."""

from __future__ import annotations

from vidseek.memory.types import DetectionRow
from vidseek.testing import FakeIndex, make_tool_context
from vidseek.tools.builtin.relations import CountOccurrences, FindAround, OrderEvents

TRANSCRIPT = [
    (2.0, 5.0, "Good morning and welcome."),
    (10.0, 13.0, "Attention: the east wing is closed today."),
    (14.0, 17.0, "The door code is one five five zero."),
    (30.0, 33.0, "Lunch is served in the canteen."),
]
SCREEN = [
    (11.0, 12.0, "EAST WING CLOSED"),
    (11.5, 12.5, "USE THE NORTH ENTRANCE"),
    (12.0, 13.0, "EAST WING CLOSED"),
    (15.0, 16.0, "ROOM 204"),
]


def _ctx(tmp_path, **kw):
    index = FakeIndex(duration_s=60.0, transcript=list(TRANSCRIPT), screen=list(SCREEN), **kw)
    return make_tool_context(tmp_path, index=index)


def test_after_before_and_during_an_announcement(tmp_path) -> None:
    ctx = _ctx(tmp_path)
    base = {
        "anchor": "the announcement that the east wing is closed",
        "anchor_channels": ["speech"],
    }
    after = FindAround().invoke({**base, "relation": "after", "target": "door code"}, ctx)
    items = after.data["anchors"][0]["items"]
    assert items[0]["text"].startswith("The door code"), items  # the wanted item first
    before = FindAround().invoke({**base, "relation": "before", "target_channels": ["speech"]}, ctx)
    assert [i["text"] for i in before.data["anchors"][0]["items"]] == ["Good morning and welcome."]
    during = FindAround().invoke({**base, "relation": "during"}, ctx)
    texts = [i["text"] for i in during.data["anchors"][0]["items"]]
    # the sign shown while it is said, but never the anchor itself (nor its on-screen twin)
    assert texts == ["USE THE NORTH ENTRANCE"], texts
    missing = FindAround().invoke({"anchor": "the sauna is open"}, ctx)
    assert not missing.is_error and missing.data["anchors"] == []
    assert "No occurrence" in missing.text


def test_events_at_the_same_moment_are_reported(tmp_path) -> None:
    ctx = _ctx(tmp_path)
    events = [
        {"what": "east wing closed", "channels": ["screen_text"]},
        {"what": "the east wing is closed", "channels": ["speech"]},
        {"what": "lunch in the canteen", "channels": ["speech"]},
    ]
    res = OrderEvents().invoke({"events": events}, ctx)
    assert res.data["order"] == [1, 0, 2] and res.data["same_time"] == [[1, 0]], res.data
    assert "overlap in time" in res.text


def test_detections_are_counted_by_the_class_the_phrase_names(tmp_path) -> None:
    dets = [DetectionRow("fakevid", t, "person", 0.9, (0, 0, 1, 1)) for t in (1.0, 1.5, 2.0, 40.0)]
    ctx = _ctx(tmp_path, dets=dets)
    res = CountOccurrences().invoke({"what": "people", "channels": ["detection"]}, ctx)
    assert res.data["count"] == 2, res.text  # 1.0-2.5 s and 40 s
    assert [f.kind for f in res.findings] == ["detection", "detection"]
    none = CountOccurrences().invoke({"what": "a horse", "channels": ["detection"]}, ctx)
    assert none.data["count"] == 0
