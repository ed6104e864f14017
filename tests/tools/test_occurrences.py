"""Occurrences in time: grouping hits with a minimum gap, word matching, and the relations
before/after/during that counting and ordering questions are answered from."""

from __future__ import annotations

import pytest

from vidseek.tools.occurrences import (
    Hit,
    Occurrence,
    around,
    content_words,
    coverage,
    group_occurrences,
    in_order,
    relation,
    tokens,
)


def _occ(start: float, end: float) -> Occurrence:
    return Occurrence(start, end, "speech", "x", 1.0)


def test_hits_closer_than_the_gap_are_one_occurrence() -> None:
    hits = [
        Hit(40.0, 41.0, "screen_text", "GATE 4 CLO", 0.5),
        Hit(10.0, 12.0, "speech", "reminder keep the exits clear", 1.0),
        Hit(12.5, 13.0, "speech", "exits clear", 0.6),  # the same sentence, split by the ASR
        Hit(41.5, 42.5, "screen_text", "GATE 4 CLOSED", 1.0),  # the sign read in a later frame
        Hit(30.0, 32.0, "speech", "reminder keep the exits clear", 0.9),
    ]
    got = group_occurrences(hits, min_gap_s=5.0)
    assert [(o.start_s, o.end_s, o.hits) for o in got] == [
        (10.0, 13.0, 2),
        (30.0, 32.0, 1),
        (40.0, 42.5, 2),
    ]
    # the best-matching reading names each occurrence
    assert got[0].text == "reminder keep the exits clear" and got[2].text == "GATE 4 CLOSED"
    # a gap of 0 keeps every separate hit; a wide gap merges the announcements too
    assert len(group_occurrences(hits, 0.0)) == 5  # no two hits overlap
    assert len(group_occurrences(hits, 20.0)) == 1
    assert group_occurrences([], 5.0) == []
    with pytest.raises(ValueError):
        group_occurrences(hits, -1.0)


def test_the_gap_is_measured_between_starts_and_is_exclusive() -> None:
    hits = [Hit(0.0, 2.0, "speech", "a"), Hit(5.0, 6.0, "speech", "a")]
    assert len(group_occurrences(hits, 5.0)) == 2  # starts exactly gap seconds after: distinct
    assert len(group_occurrences(hits, 5.01)) == 1
    # the ASR's segment end runs on to the next sentence: announcements said back to back stay
    # two occurrences (measured from the index of tests/agent/test_relations.py)
    run_on = [Hit(16.68, 23.12, "speech", "reminder"), Hit(23.12, 26.36, "speech", "reminder")]
    assert len(group_occurrences(run_on, 3.0)) == 2
    # a hit that starts inside the previous hit's span is the same occurrence
    assert len(group_occurrences([Hit(0.0, 9.0, "x", "a"), Hit(8.0, 9.5, "x", "a")], 3.0)) == 1


def test_relations_between_spans() -> None:
    a, b, c = _occ(10, 14), _occ(20, 25), _occ(13, 21)
    assert relation(a, b) == "before" and relation(b, a) == "after"
    assert relation(a, c) == "during" and relation(c, b) == "during"
    assert relation(_occ(10, 20), _occ(20, 30)) == "before"  # touching spans do not overlap


def test_order_by_first_occurrence_and_missing_events() -> None:
    events = [[_occ(50, 52), _occ(5, 6)], [], [_occ(20, 22)], [_occ(20, 21)]]
    assert in_order(events) == [0, 2, 3]  # event 1 never occurs; ties keep the given order


def test_items_around_an_anchor_nearest_first() -> None:
    anchor = _occ(10, 14)
    rows = [
        Hit(2, 4, "speech", "long before"),
        Hit(7, 9, "speech", "just before"),
        Hit(12, 13, "screen_text", "during"),
        Hit(15, 17, "speech", "just after"),
        Hit(30, 32, "speech", "later"),
        Hit(60, 62, "speech", "too late"),
    ]
    assert [h.text for h in around(anchor, rows, "after", 30)] == ["just after", "later"]
    assert [h.text for h in around(anchor, rows, "before", 30)] == ["just before", "long before"]
    assert [h.text for h in around(anchor, rows, "before", 2)] == ["just before"]
    assert [h.text for h in around(anchor, rows, "during", 30)] == ["during"]


def test_word_match_ignores_channel_words_and_reads_spoken_numbers() -> None:
    assert content_words("the sign saying that gate 17 is closed") == ["gate", "17", "closed"]
    assert coverage("the sign saying that gate 17 is closed", "GATE 17 CLOSED") == 1.0
    assert coverage("door code 1550", "The door code is one five five zero.") == 1.0
    assert coverage("gate 17 closed", "GATE 71 CLOSED") == pytest.approx(2 / 3)
    reminder = "the reminder to keep the fire exits clear announced"
    assert coverage(reminder, "Reminder: please keep the fire exit clear.") == 1.0
    assert coverage(reminder, "The fire drill is on Friday.") < 0.6  # a distractor
    assert coverage("announced", "anything") == 0.0  # nothing asked: nothing matches
    assert tokens("Last bus 11:25, gate 4") == ["last", "bus", "11:25", "gate", "4"]
    assert coverage("the bus at 11:25", "LAST BUS 11:55") == pytest.approx(1 / 2)
