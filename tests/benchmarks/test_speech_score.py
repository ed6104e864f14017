"""benchmarks/speech_score.py: the normaliser, word error and key words that choose the default
speech model (pure functions, no audio)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from speech_score import (  # noqa: E402
    edit_distance,
    key_recall,
    key_words,
    normalise,
    score,
    total_wer,
)


def test_spoken_and_written_numbers_are_one_word() -> None:
    spoken = normalise("The door code is six zero one eight.")
    assert spoken == ["the", "door", "code", "is", "6018"]
    assert normalise("The door code is 6018") == spoken
    assert normalise("the DOOR code is 6-0-1-8!") == spoken
    assert normalise("meeting room twelve") == normalise("Meeting room 12.")


def test_accents_and_ordinals_are_not_errors() -> None:
    assert normalise("Lakeside Café on 2nd Street") == normalise("Lakeside Cafe on Second Street")


def test_edit_distance_counts_each_edit() -> None:
    assert edit_distance([], []) == 0
    assert edit_distance(["a", "b", "c"], ["a", "b", "c"]) == 0
    assert edit_distance(["a", "b", "c"], ["a", "x", "c"]) == 1  # substitution
    assert edit_distance(["a", "b", "c"], ["a", "c"]) == 1  # deletion
    assert edit_distance(["a", "b"], ["a", "b", "c", "d"]) == 2  # insertions
    assert edit_distance(["a", "b", "c"], []) == 3


def test_mishearings_from_the_issue_cost_words_and_key_words() -> None:
    ref = "Visitors, please note: this week the parking permit is blue."
    heard = score(ref, "Visitors please note this week the power king permit is loo")
    # parking -> power king (1 substitution + 1 insertion), blue -> loo (1 substitution)
    assert (heard.words, heard.errors) == (10, 3)
    assert heard.wer == pytest.approx(0.3)
    assert (heard.keys, heard.keys_found, heard.missed) == (1, 0, ("blue",))
    exact = score(ref, "Visitors, please note, this week the parking permit is blue.")
    assert exact.errors == 0 and exact.keys_found == 1


def test_a_wrong_digit_is_a_wrong_key_word() -> None:
    heard = score(
        "The delivery code for today is four seven nine two.", "the delivery code is 479 to"
    )
    assert "4792" in key_words("The delivery code for today is four seven nine two.")
    assert heard.missed == ("4792",)
    assert heard.errors == 4  # "for today" dropped, 4792 -> 479, "to" inserted


def test_key_words_are_numbers_colours_and_names_not_sentence_starts() -> None:
    assert key_words("Would Professor Okafor please come to reception desk 3.") == [
        "professor",
        "okafor",
        "3",
    ]
    assert key_words("The owner of the white van. Please move it.") == ["white"]
    assert key_words("Reminder: please keep the loading dock clear.") == []


def test_totals_weigh_words_and_keys() -> None:
    a = score("one two three four", "one two three four")  # one word "1234", no error
    b = score("The parking permit is blue", "the permit is blue")
    assert (a.words, a.errors, b.words, b.errors) == (1, 0, 5, 1)
    assert total_wer([a, b]) == pytest.approx(1 / 6)
    assert key_recall([a, b]) == 1.0
    assert total_wer([]) == 0.0
