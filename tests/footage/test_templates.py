"""The needle templates (data): every draw is a well-formed question, and a seed always draws the
same fact (haystacks built before must keep matching their seed)."""

from __future__ import annotations

import random

import pytest

from vidseek.footage.facts import distinct_codes, fill
from vidseek.footage.templates import SPEECH_TEMPLATES, TEXT_TEMPLATES

ALL = SPEECH_TEMPLATES + TEXT_TEMPLATES


@pytest.mark.parametrize("template", ALL, ids=[t.name for t in ALL])
def test_every_draw_is_a_well_formed_question(template) -> None:
    for seed in range(400):
        fact = template.draw(random.Random(seed))
        options = [fact.answer, *fact.distractors]
        assert len(options) == 4 and len(set(options)) == 4, (seed, options)
        for text in (fact.text, fact.question, fact.answer, fact.label, *fact.aliases):
            assert text and "{" not in text and "}" not in text
        assert fact.aliases  # a free-text answer can be graded


def test_a_seed_draws_the_same_facts() -> None:
    drawn = [t.draw(random.Random(7)) for t in ALL]
    assert drawn == [t.draw(random.Random(7)) for t in ALL]
    shuttle, locker, checkout = drawn[0], drawn[2], drawn[-1]
    # pinned: what the builder drew for seed 7 before its templates became data
    assert shuttle.text == "Attention please. The shuttle to the city centre now leaves from bay 6."
    assert shuttle.distractors == ["Bay 8", "Bay 5", "Bay 3"]
    assert locker.text == "Please note, the new locker code for the workshop is two six zero one."
    assert locker.answer == "2601"
    assert (checkout.text, checkout.distractors) == (
        "CHECKOUT 7 OPEN",
        ["Checkout 8", "Checkout 9", "Checkout 6"],
    )


def test_format_specs_and_distinct_codes() -> None:
    values = {"code": "3815", "colour": "red", "hh": 7, "mm": 5}
    assert fill("{code:spell}|{code:spaced}|{colour:upper}|{colour:cap}", values) == (
        "three eight one five|3 8 1 5|RED|Red"
    )
    assert fill("{hh:02d}:{mm:02d}", values) == "07:05"
    for seed in range(200):
        codes = distinct_codes(random.Random(seed), 3)
        assert len(set(codes)) == 3
