"""Relations and counting from the index (issue 12): a small haystack made here (signs burned in
with ffmpeg drawtext, announcements spoken with espeak-ng, one of them three times among
distractors) is indexed by the real offline pipeline (Whisper tiny.en, tesseract, MiniLM,
chromadb); the relation tools count and order from its timed rows, and chain_of_shot answers an
order, a counting and an "after" question from them. The planner is a scripted model that fails
the test if it is asked anything: these answers are computed, not chosen by a model."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from vidseek.agent.policies.chain_of_shot.relation_forms import recognise

pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("espeak-ng") is None,
    reason="needs ffmpeg and espeak-ng",
)

DURATION_S = 27.0
REMINDER = "Reminder: please keep the fire exits clear."
SPEECH = [  # (offset s, sentence): the reminder three times, a distractor that shares a word
    (0.5, REMINDER),
    (8.0, "Visitors, the door code is one five five zero."),
    (12.5, "The fire drill is on Friday afternoon."),
    (16.5, REMINDER),
    (23.0, REMINDER),
]
SIGNS = [("GATE 4 CLOSED", 4.0, 7.5), ("LOT B FULL", 19.5, 22.5)]
OFFSETS = {"reminder": [0.5, 16.5, 23.0], "door": 8.0, "gate": 4.0, "lot": 19.5}
OCR_STEP_S = 2.0  # the fixture reads on-screen text every 2 s: a sign may be read a sample late


def _make_clip(folder: Path) -> Path:
    """A moving test pattern (tesseract misses a sign on a flat single-colour background) with
    the signs burned in and the sentences mixed in at their offsets."""
    from vidseek.footage.authoring import TextOverlay, burn_texts, mix_speech, speak

    base = folder / "base.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i"]
        + [f"testsrc2=s=640x360:r=5:d={DURATION_S}"]
        + ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", str(base)],
        check=True,
    )
    signed = burn_texts(base, folder / "signed.mp4", [TextOverlay(*s) for s in SIGNS])
    wavs = [(t, speak(text, folder / f"s{i}.wav")) for i, (t, text) in enumerate(SPEECH)]
    return mix_speech(signed, folder / "relations.mp4", wavs)


@pytest.fixture(scope="module")
def relations_index(tmp_path_factory):
    """(settings, VideoIndex) of the clip, indexed with the offline models; no detector (no one
    is in the picture) and OCR every 2 s, to keep the indexing short."""
    from vidseek.config import Settings
    from vidseek.memory.builder import index

    folder = tmp_path_factory.mktemp("relations")
    video = _make_clip(folder)
    settings = Settings(data_dir=folder / "data")
    settings.models.detector = None
    settings.index.ocr_fps = 1 / OCR_STEP_S  # every sign stays up 3 s or more: read at least once
    return settings, index(video, settings, progress=False)


def _ctx(settings, vindex):
    from vidseek.tools.base import ToolContext

    return ToolContext(settings=settings, video=vindex.info, index=vindex, models=vindex.models)


def _near(t: float, truth: float, tol: float = 1.5) -> bool:
    return abs(t - truth) <= tol


def test_count_tool_counts_distinct_announcements_not_distractors(relations_index) -> None:
    from vidseek.tools.builtin.relations import CountOccurrences

    settings, vindex = relations_index
    res = CountOccurrences().invoke(
        {"what": "the reminder to keep the fire exits clear", "channels": ["speech"]},
        _ctx(settings, vindex),
    )
    assert not res.is_error, res.text
    assert res.data["count"] == 3, res.text
    starts = [f.start_s for f in res.findings]
    assert all(_near(s, t) for s, t in zip(starts, OFFSETS["reminder"], strict=True)), starts
    assert all(f.kind == "speech" and "fire" in f.text.lower() for f in res.findings)
    assert not any("drill" in f.text.lower() for f in res.findings)  # the distractor
    assert res.data["near_misses"] == []
    # a sentence with half the words is no occurrence, but it is reported as a near miss
    half = CountOccurrences().invoke(
        {"what": "the door code for the north lab", "channels": ["speech"]}, _ctx(settings, vindex)
    )
    assert half.data["count"] == 0 and len(half.data["near_misses"]) == 1, half.data
    assert _near(half.data["near_misses"][0]["start_s"], OFFSETS["door"])
    # something never said: zero occurrences, said so
    none = CountOccurrences().invoke({"what": "the swimming pool reopens"}, _ctx(settings, vindex))
    assert none.data["count"] == 0 and "No occurrence" in none.text


def test_order_tool_orders_a_sign_and_an_announcement(relations_index) -> None:
    from vidseek.tools.builtin.relations import OrderEvents

    settings, vindex = relations_index
    events = [
        {"what": "lot B is full", "channels": ["screen_text"]},
        {"what": "the door code", "channels": ["speech"]},
        {"what": "gate 4 closed", "channels": ["screen_text"]},
        {"what": "the sauna opening hours", "channels": ["speech"]},
    ]
    res = OrderEvents().invoke({"events": events}, _ctx(settings, vindex))
    assert not res.is_error, res.text
    assert res.data["order"] == [2, 1, 0] and res.data["missing"] == [3], res.data
    first = res.data["events"]
    assert _near(first[2]["first"]["start_s"], OFFSETS["gate"], 1.5 + OCR_STEP_S)
    assert _near(first[1]["first"]["start_s"], OFFSETS["door"])
    assert _near(first[0]["first"]["start_s"], OFFSETS["lot"], 1.5 + OCR_STEP_S)


def _agent(settings, vindex):
    from vidseek.agent import Agent
    from vidseek.testing import ScriptedChatModel

    # no replies: a relation question answered by a model instead of the index fails the test
    planner = ScriptedChatModel([])
    return Agent(settings=settings, index=vindex, planner=planner, can_see=False), planner


def _overlaps(ev, t: float, tol: float = 1.5) -> bool:
    return ev.start_s - tol <= t <= ev.end_s + tol


def test_chain_of_shot_answers_a_counting_question_from_the_index(relations_index) -> None:
    settings, vindex = relations_index
    agent, planner = _agent(settings, vindex)
    with agent:
        ans = agent.ask(
            "How many times is the reminder to keep the fire exits clear announced?",
            ["2", "4", "3", "1"],
        )
    assert ans.choice == "C", ans.answer
    assert len(ans.evidence) == 3
    for ev, t in zip(ans.evidence, OFFSETS["reminder"], strict=True):
        assert _overlaps(ev, t), ans.evidence
    assert ans.confidence >= 0.6 and planner.requests == []


def test_chain_of_shot_answers_an_order_question_from_the_index(relations_index) -> None:
    settings, vindex = relations_index
    agent, planner = _agent(settings, vindex)
    q = "Which comes first: the announcement of the door code, or the sign saying that lot B is full?"
    opts = [
        "The sign about lot B comes first",
        "Both happen at the same moment",
        "The announcement of the door code comes first",
        "Only one of the two happens",
    ]
    with agent:
        ans = agent.ask(q, opts)
    assert ans.choice == "C", ans.answer
    assert _overlaps(ans.evidence[0], OFFSETS["door"]) and _overlaps(
        ans.evidence[1], OFFSETS["lot"], 1.5 + OCR_STEP_S
    )
    assert planner.requests == []


def test_chain_of_shot_answers_before_or_after_questions(relations_index) -> None:
    settings, vindex = relations_index
    agent, planner = _agent(settings, vindex)
    with agent:
        which = agent.ask(
            "Is the door code announced before or after the sign saying that lot B is full?",
            ["After it", "At the same time", "Before it"],
        )
        yes_no = agent.ask(
            "Does the sign saying lot B is full appear before the announcement of the door code?",
            ["Yes", "No"],
        )
    assert which.choice == "C" and which.answer.startswith("Before it"), which.answer
    assert yes_no.choice == "B" and "No, after" in yes_no.answer, yes_no.answer
    assert _overlaps(which.evidence[0], OFFSETS["door"]) and _overlaps(
        which.evidence[1], OFFSETS["lot"], 1.5 + OCR_STEP_S
    )
    assert planner.requests == []


def test_chain_of_shot_answers_what_was_said_right_after_a_sign(relations_index) -> None:
    settings, vindex = relations_index
    agent, planner = _agent(settings, vindex)
    q = "What door code is announced right after the sign saying that gate 4 is closed appears?"
    with agent:
        ans = agent.ask(q, ["5150", "1505", "1550", "4792"])
    assert ans.choice == "C", ans.answer
    assert _overlaps(ans.evidence[0], OFFSETS["gate"], 1.5 + OCR_STEP_S) and _overlaps(
        ans.evidence[1], OFFSETS["door"]
    )
    assert planner.requests == []


def test_an_occurrence_that_cannot_be_found_is_not_guessed(relations_index) -> None:
    settings, vindex = relations_index
    agent, _ = _agent(settings, vindex)
    # an event only pixels could show: "cannot see", and no option is read from the answer's
    # text, although it names what it looked for (the option's own words)
    opts = [
        "The announcement of the door code",
        "A photograph of a dog",
        "A sign saying GATE 4 CLOSED",
    ]
    with agent:
        ans = agent.ask(
            "How many times is the reminder about the swimming pool announced?",
            ["1", "2", "3", "4"],
        )
        seen = agent.ask("Which of these happens first in the video?", opts)
    assert ans.choice is None and "could not find" in ans.answer.lower(), ans.answer
    assert ans.confidence < 0.3
    ans = seen
    assert ans.answer.startswith("I cannot see this") and ans.choice is None, ans.answer
    assert "photograph of a dog" in ans.answer and ans.confidence < 0.3
    assert _overlaps(ans.evidence[0], OFFSETS["gate"], 1.5 + OCR_STEP_S) and _overlaps(
        ans.evidence[1], OFFSETS["door"]
    )


def test_question_forms_are_recognised() -> None:
    count = recognise("How often does the speaker mention the fire drill?")
    assert count and count.kind == "count" and count.events[0].channels == ["speech"]
    pair = recognise("Which comes last: the sign GATE 4, or the announcement about lunch?")
    assert pair and pair.kind == "order" and pair.latest
    assert [e.channels for e in pair.events] == [["screen_text"], ["speech"]]
    opts = ["A sign saying GATE 4 CLOSED", "The door code announcement", "Both at once"]
    listed = recognise("Which of these happens first in the video?", opts)
    assert listed and listed.from_options and len(listed.events) == 2  # "Both at once" is no event
    after = recognise("What was written on screen just before the door code was announced?")
    assert after and after.kind == "around" and after.relation == "before"
    assert after.events[0].channels == ["speech"]
    quoted = recognise("How many times does the sign 'NO ENTRY' appear?")
    assert quoted and quoted.events[0].what == "NO ENTRY"
    assert quoted.events[0].channels == ["screen_text"]
    apostrophes = recognise("How many times is this week's visitors' parking permit mentioned?")
    assert apostrophes and "parking permit" in apostrophes.events[0].what
    compare = recognise("Is the door code announced before or after the sign about lot B?")
    assert compare and compare.kind == "order" and compare.compare == "either"
    assert [e.channels for e in compare.events] == [["speech"], ["screen_text"]]
    assert recognise("Is the delivery code 4792?") is None
    during = recognise("Which room is shown in the caption while the woman is speaking?")
    assert during and during.relation == "during"
    for plain in (
        "What is the delivery code announced for today?",
        "What is the first thing said in the video?",  # no events to order
        "How long after the sign is the code announced?",
        "How many people are in the room?",
    ):
        assert recognise(plain, ["A thing", "Another thing"]) is None, plain


def test_no_option_is_read_from_an_answer_that_declines() -> None:
    from vidseek.agent.answer import normalise_choice

    opts = ["1", "2", "3"]
    declined = (
        "I could not find this in the video: no speech states 'gate 2', so I cannot count it."
    )
    assert normalise_choice(None, declined, opts) is None
    assert normalise_choice("B", declined, opts) == "B"  # an explicit letter still counts
    assert normalise_choice(None, "It was said 2 times", opts) == "B"  # as before otherwise
