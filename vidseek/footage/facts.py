"""Needle content from templates: a ``FactTemplate`` is data (named slots drawn from a seeded
random generator, format strings for the sentence, the question, the answer and its aliases, and
rules that make look-alike wrong options); ``FactTemplate.draw`` turns it into a ``Fact``.

Slots are drawn in the order they are declared, then the distractor rules run in order, so a
seed always gives the same fact. Format strings take Python's format specs plus ``spell`` (digits
as words: "3815" -> "three eight one five"), ``spaced`` ("AB" -> "A B"), ``upper`` and ``cap``.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from vidseek.footage.vocab import DIGIT_WORDS

Values = dict[str, Any]


def spell(digits: str) -> str:
    """Digits as spoken words, so espeak-ng reads them one by one."""
    return " ".join(DIGIT_WORDS[int(d)] for d in digits)


def draw_code(rng: random.Random, n: int = 4) -> str:
    """A door or locker code: no leading zero, at least three different digits."""
    while True:
        code = "".join(rng.choice("0123456789") for _ in range(n))
        if code[0] != "0" and len(set(code)) >= 3:
            return code


def distinct_codes(rng: random.Random, k: int, n: int = 4) -> list[str]:
    """``k`` different codes (drawn until they differ)."""
    out: list[str] = []
    while len(out) < k:
        code = draw_code(rng, n)
        if code not in out:
            out.append(code)
    return out


def code_options(rng: random.Random, code: str) -> list[str]:
    """Three look-alike codes: digit swaps and one fresh code."""
    out: list[str] = []
    tries = 0
    while len(out) < 2 and tries < 50:
        tries += 1
        d = list(code)
        i, j = rng.sample(range(len(d)), 2)
        d[i], d[j] = d[j], d[i]
        cand = "".join(d)
        if cand != code and cand not in out and cand[0] != "0":
            out.append(cand)
    while len(out) < 3:
        cand = draw_code(rng, len(code))
        if cand != code and cand not in out:
            out.append(cand)
    return out


def num_options(rng: random.Random, n: int, lo: int, hi: int) -> list[int]:
    """Three numbers near ``n`` in [lo, hi], none equal to it."""
    pool = [k for k in range(lo, hi + 1) if k != n]
    near = sorted(pool, key=lambda k: (abs(k - n), k))[:6]
    return rng.sample(near, 3)


def pick_others(rng: random.Random, pool: Sequence[Any], answer: Any, k: int = 3) -> list[Any]:
    """``k`` members of ``pool`` other than ``answer``."""
    return rng.sample([p for p in pool if p != answer], k)


class _Formatter(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec == "spell":
            return spell(str(value))
        if format_spec == "spaced":
            return " ".join(str(value))
        if format_spec == "upper":
            return str(value).upper()
        if format_spec == "cap":
            return str(value).capitalize()
        return super().format_field(value, format_spec)


_FORMAT = _Formatter()


def fill(template: str, values: Values, **more: Any) -> str:
    """``template`` with the slot values (and ``more``) filled in."""
    return _FORMAT.vformat(template, (), {**values, **more})


# --- slots: how each value is drawn ---------------------------------------------------------------


@dataclass(frozen=True)
class Pick:
    """One member of ``pool``."""

    name: str
    pool: Sequence[Any]

    def draw(self, rng: random.Random) -> Any:
        return rng.choice(self.pool)


@dataclass(frozen=True)
class Number:
    """An integer in [lo, hi]."""

    name: str
    lo: int
    hi: int

    def draw(self, rng: random.Random) -> int:
        return rng.randint(self.lo, self.hi)


@dataclass(frozen=True)
class Code:
    """A code of ``digits`` digits (see ``draw_code``)."""

    name: str
    digits: int = 4

    def draw(self, rng: random.Random) -> str:
        return draw_code(rng, self.digits)


@dataclass(frozen=True)
class Letters:
    """``n`` letters from ``alphabet``."""

    name: str
    alphabet: str
    n: int

    def draw(self, rng: random.Random) -> str:
        return "".join(rng.choice(self.alphabet) for _ in range(self.n))


Slot = Pick | Number | Code | Letters


# --- distractor rules: the wrong options of the question ------------------------------------------


@dataclass(frozen=True)
class Near:
    """Numbers near the slot's value (``take`` of the three drawn), each written with ``fmt``."""

    slot: str
    lo: int
    hi: int
    fmt: str
    take: int = 3

    def options(self, rng: random.Random, values: Values) -> list[str]:
        drawn = num_options(rng, values[self.slot], self.lo, self.hi)[: self.take]
        return [fill(self.fmt, values, x=k) for k in drawn]


@dataclass(frozen=True)
class Others:
    """``k`` other members of ``pool``, each written with ``fmt``."""

    slot: str
    pool: Sequence[Any]
    fmt: str = "{x}"
    k: int = 3

    def options(self, rng: random.Random, values: Values) -> list[str]:
        drawn = pick_others(rng, self.pool, values[self.slot], self.k)
        return [fill(self.fmt, values, x=v) for v in drawn]


@dataclass(frozen=True)
class LookAlikeCodes:
    """Codes that differ from the slot's code by a digit swap (see ``code_options``)."""

    slot: str

    def options(self, rng: random.Random, values: Values) -> list[str]:
        return code_options(rng, values[self.slot])


@dataclass(frozen=True)
class Derived:
    """Options computed from the values without randomness (``rule``), written with ``fmt``."""

    rule: Callable[[Values], list[Any]]
    fmt: str = "{x}"

    def options(self, rng: random.Random, values: Values) -> list[str]:
        return [fill(self.fmt, values, x=v) for v in self.rule(values)]


Distractor = Near | Others | LookAlikeCodes | Derived


@dataclass
class Fact:
    """One piece of needle content with its question."""

    text: str
    question: str
    answer: str
    distractors: list[str]
    aliases: list[str]
    label: str


@dataclass(frozen=True)
class FactTemplate:
    """A kind of needle: what is said or shown, what is asked about it and the wrong options."""

    name: str
    slots: tuple[Slot, ...]
    text: str
    question: str
    answer: str
    distractors: tuple[Distractor, ...]
    aliases: tuple[str, ...]
    label: str

    def draw(self, rng: random.Random) -> Fact:
        values: Values = {}
        for slot in self.slots:
            values[slot.name] = slot.draw(rng)
        wrong = [opt for rule in self.distractors for opt in rule.options(rng, values)]
        return Fact(
            fill(self.text, values),
            fill(self.question, values),
            fill(self.answer, values),
            wrong,
            [fill(a, values) for a in self.aliases],
            fill(self.label, values),
        )
