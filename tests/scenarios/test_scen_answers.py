"""Answer normalisation: a letter, an index or the option's text all name the same option."""

from __future__ import annotations

import pytest

from vidseek.scenarios.answers import (
    is_correct,
    parse_choice,
    split_embedded_options,
    strip_option_prefix,
    to_letter,
)

OPTS = ["Red", "Green", "Blue", "Yellow"]


@pytest.mark.parametrize(
    "answer,expected",
    [("C", "C"), ("c", "C"), ("(C)", "C"), ("C.", "C"), (2, "C"), ("Blue", "C"), ("blue.", "C")],
)
def test_reference_answers_in_every_shape(answer, expected):
    assert to_letter(answer, OPTS) == expected


def test_option_text_wins_over_index_when_options_are_digits():
    # MLVU count task: options are digits and the answer is the option TEXT "1"
    assert to_letter("1", ["2", "1", "5", "4"]) == "B"
    assert to_letter(1, ["2", "1", "5", "4"]) == "B"  # an int is an index: same option here
    assert to_letter(0, ["2", "1", "5", "4"]) == "A"


def test_out_of_range_and_unknown_answers_give_none():
    assert to_letter(7, OPTS) is None
    assert to_letter("E", OPTS) is None
    assert to_letter("Purple", OPTS) is None
    assert to_letter("A", []) is None


@pytest.mark.parametrize(
    "text,expected",
    [
        ("B", "B"),
        ("(B) Green", "B"),
        ("B. Green", "B"),
        ("The answer is (D).", "D"),
        ("Answer: C", "C"),
        ("I think it is green.", "B"),
        ("the sign was yellow", "D"),
        ("A man walks past; I cannot tell", None),
        ("red or green", None),
        ("", None),
    ],
)
def test_parse_choice_from_free_text(text, expected):
    assert parse_choice(text, OPTS) == expected


def test_parse_choice_prefers_the_longer_of_nested_option_texts():
    opts = ["Meeting room 12", "Meeting room 2", "Meeting room 21", "Meeting room 20"]
    assert parse_choice("He waits in meeting room 12.", opts) == "A"
    assert parse_choice("meeting room 2", opts) == "B"


def test_split_embedded_and_prefixed_options():
    stem, opts = split_embedded_options("What year?\n(A) 1636\n(B) 1366\n(C) 1363\n(D) 1633")
    assert stem == "What year?"
    assert opts == ["1636", "1366", "1363", "1633"]
    assert strip_option_prefix("A. Apples.") == "Apples."
    assert strip_option_prefix("(B) Pears") == "Pears"
    assert strip_option_prefix("Apples") == "Apples"


def test_is_correct_for_choice_field_free_text_and_open_ended():
    assert is_correct("C", OPTS, {"choice": "C", "answer": "whatever"}) is True
    assert is_correct("C", OPTS, {"choice": None, "answer": "It is blue"}) is True
    assert is_correct("C", OPTS, {"choice": "A", "answer": "blue"}) is False
    assert is_correct("C", OPTS, {"answer": "not found"}) is False
    assert is_correct(None, OPTS, {"choice": "A"}) is None  # reference names no option
    assert is_correct(None, [], {"answer": "Yes."}, answer_text="yes") is True
    assert is_correct(None, [], {"answer": "no"}, answer_text="yes") is False
    assert is_correct(None, [], {"answer": "It is 4 7 9 2"}, "4792", ["4 7 9 2"]) is True
    long_ref = "The video starts with waves lapping against rocks and then a boat appears"
    assert is_correct(None, [], {"answer": "waves"}, answer_text=long_ref) is None
