"""Scoring a transcript against the sentence a haystack spoke: word error rate and key-word
recall, after one normalisation shared by both sides.

Both texts go through the tokens the relation tools count with (``vidseek.tools.occurrences``):
lower case, punctuation gone, number words as digits and the digits of one spoken number joined,
so "six zero one eight" and "6018" are the same single word (a misheard digit costs one word, not
four). Accents are stripped first ("Café" = "Cafe") and written ordinals spelled out ("2nd" =
"second"), so a transcript is not charged for writing a word another way.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from vidseek.footage.vocab import COLOURS
from vidseek.tools.occurrences import tokens

_ORDINAL_WORDS = "_ first second third fourth fifth sixth seventh eighth ninth tenth".split()
_ORDINAL = re.compile(r"\b(10|[1-9])(?:st|nd|rd|th)\b", re.I)
_CAPITALISED = re.compile(r"[A-Z][A-Za-z'\u2019]*")
_SENTENCE_START = re.compile(r"(?:^|[.!?:]\s+)([A-Za-z'\u2019]+)")
_STOP = frozenset("i a the".split())


def normalise(text: str) -> list[str]:
    """The words of ``text`` as scored: see the module's docstring."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    plain = _ORDINAL.sub(lambda m: _ORDINAL_WORDS[int(m.group(1))], plain)
    return tokens(plain)


def edit_distance(ref: Sequence[str], hyp: Sequence[str]) -> int:
    """Word-level Levenshtein distance (substitutions + deletions + insertions)."""
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, start=1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, start=1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]


def key_words(reference: str) -> list[str]:
    """The words a listener needs from an announcement: numbers (codes, rooms, times), colours
    and names (words capitalised inside a sentence), normalised like ``normalise``."""
    starts = {m.start(1) for m in _SENTENCE_START.finditer(reference)}
    names = " ".join(
        m.group(0) for m in _CAPITALISED.finditer(reference) if m.start() not in starts
    )
    named = {w for w in normalise(names) if w not in _STOP}
    colours = set(COLOURS)
    out = [
        w for w in normalise(reference) if any(c.isdigit() for c in w) or w in colours or w in named
    ]
    return list(dict.fromkeys(out))


@dataclass(frozen=True)
class Score:
    """One transcript against one reference sentence."""

    words: int  # reference words after normalisation
    errors: int  # word edits
    keys: int  # key words in the reference
    keys_found: int  # of those, present in the transcript
    missed: tuple[str, ...]  # the key words the transcript lacks

    @property
    def wer(self) -> float:
        return self.errors / self.words if self.words else 0.0


def score(reference: str, transcript: str) -> Score:
    """Word error and key-word recall of ``transcript`` against ``reference``."""
    ref, hyp = normalise(reference), normalise(transcript)
    keys = key_words(reference)
    have = set(hyp)
    missed = tuple(k for k in keys if k not in have)
    return Score(len(ref), edit_distance(ref, hyp), len(keys), len(keys) - len(missed), missed)


def total_wer(scores: Sequence[Score]) -> float:
    """Corpus word error: all edits over all reference words (long sentences weigh more)."""
    words = sum(s.words for s in scores)
    return sum(s.errors for s in scores) / words if words else 0.0


def key_recall(scores: Sequence[Score]) -> float:
    keys = sum(s.keys for s in scores)
    return sum(s.keys_found for s in scores) / keys if keys else 1.0
