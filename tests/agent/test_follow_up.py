"""Follow-ups in a chat thread search with what they refer to (issue 12: the planner searched for
the literal words "When was that code announced?" and cited the wrong moment)."""

from __future__ import annotations

from vidseek.agent.policies.chain_of_shot.matching import refers_back
from vidseek.agent.policies.chain_of_shot.phases import follow_up_queries

FIRST = {
    "question": "What is the access code for the north laboratory?",
    "answer": "3815",
    "evidence": [{"start_s": 43.9, "end_s": 49.6, "why": "speech"}],
}


def test_wordings_that_refer_back_are_recognised() -> None:
    for q in (
        "At what time was that code announced?",
        "When was it said?",
        "What did she say next?",
        "Where in the video does this happen again?",
    ):
        assert refers_back(q), q
    assert not refers_back("What colour is the parking permit?")
    # the options of a multiple-choice question are not part of what it asks
    assert not refers_back("Which gate is closed?\n(A) That one\n(B) Gate 17")


def test_a_follow_up_searches_with_the_earlier_question_and_answer() -> None:
    state = {"history": [FIRST]}
    got = follow_up_queries(state, "At what time in the video was that code announced?")
    assert got == [FIRST["question"], "3815"]


def test_a_new_question_or_a_first_question_adds_nothing() -> None:
    assert follow_up_queries({"history": [FIRST]}, "What colour is the permit?") == []
    assert follow_up_queries({"history": []}, "When was that said?") == []
    unsure = {**FIRST, "answer": "No confident answer: step budget used up."}
    assert follow_up_queries({"history": [unsure]}, "When was that said?") == [FIRST["question"]]


def test_the_referred_answer_is_what_a_moment_must_state() -> None:
    from vidseek.agent.policies.chain_of_shot.matching import states
    from vidseek.agent.policies.chain_of_shot.phases import referred_answer

    q = "At what time in the video was that code announced?"
    assert referred_answer({"history": [FIRST]}, q) == "3815"
    assert referred_answer({"history": [FIRST]}, "What colour is the permit?") == ""
    # the spoken code states the referent; a junk OCR moment does not
    assert states('speech: "the access code is three eight one five"', "3815", q)
    assert not states("screen_text: 'Ill' | caption: 'detector found up to 4 persons'", "3815", q)
