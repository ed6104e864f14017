"""Occurrences in time: timed hits grouped into distinct occurrences, and the relations between
them (before, after, during). Pure functions over spans, so counting and ordering are computed
from the index's timed findings and never left to a model.

A *hit* is one timed row that matches what was asked (a transcribed sentence, an OCR line, a
detector frame). Hits closer than a minimum gap are one *occurrence* (a sign read in several
frames, an announcement split over two transcript segments); occurrences are what a question
counts and orders.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

Relation = Literal["before", "after", "during"]

_NUMBER_WORDS = {
    w: str(i)
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve".split()
    )
}
_STOPWORDS = frozenset(
    "a an the is are was were be been of for to in on at by with and or it its this that these "
    "those there their what which who whom when where why how does do did from about into as "
    "please video any some".split()
)
# words that say where something is (the channel), not what it is: "the sign saying GATE 17
# CLOSED" is matched on "gate 17 closed"
CHANNEL_WORDS = frozenset(
    "sign signs saying says said say announcement announcements announced announce message "
    "messages on screen onscreen caption captions shown show shows displayed display appears "
    "appear appeared written reads read text spoken heard mentioned mention banner label "
    "notice time times word words phrase".split()
)
# a clock time ("11:25") is one token: as two numbers it would share "11" with "11:55"
_WORD = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?|[a-z]+|\d+")


def tokens(text: str) -> list[str]:
    """Lower-case words with number words as digits and the digits of one spoken number joined
    ("one five five zero" and "1550" both become "1550")."""
    out: list[str] = []
    for w in (_NUMBER_WORDS.get(w, w) for w in _WORD.findall(text.lower())):
        if w.isdigit() and out and out[-1].isdigit() and (len(w) == 1 or len(out[-1]) == 1):
            out[-1] += w
            continue
        out.append(w)
    return out


def content_words(text: str) -> list[str]:
    """The words of a phrase that say what it is about (no stop words, no channel words)."""
    words = [t for t in tokens(text) if t not in _STOPWORDS and t not in CHANNEL_WORDS]
    return list(dict.fromkeys(words))


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def same_word(a: str, b: str) -> bool:
    if a == b:
        return True
    if a.isdigit() or b.isdigit():
        return False
    sa, sb = _stem(a), _stem(b)
    return sa == sb or (min(len(sa), len(sb)) >= 4 and (sa.startswith(sb) or sb.startswith(sa)))


def coverage(what: str, text: str) -> float:
    """Share of the content words of ``what`` that ``text`` contains (0 when ``what`` has none).
    Word forms match loosely ("announced"/"announce", "exits"/"exit"); numbers match exactly."""
    wanted = content_words(what)
    if not wanted:
        return 0.0
    have = tokens(text)
    found = sum(1 for w in wanted if any(same_word(w, h) for h in have))
    return found / len(wanted)


@dataclass(frozen=True)
class Hit:
    """One timed row that matches: its span, channel (finding kind), text and match (0-1)."""

    start_s: float
    end_s: float
    kind: str
    text: str
    match: float = 1.0


@dataclass(frozen=True)
class Occurrence:
    """Hits closer than the minimum gap, as one span; ``text`` is the best-matching reading."""

    start_s: float
    end_s: float
    kind: str
    text: str
    match: float
    hits: int = 1


def group_occurrences(hits: Iterable[Hit], min_gap_s: float) -> list[Occurrence]:
    """Distinct occurrences in time order: a hit that starts less than ``min_gap_s`` after the
    previous hit started, or inside its span, joins that hit's occurrence (a sign read in
    consecutive frames, a sentence the ASR split in two); its best-matching hit names it.

    Starts, not ends, measure the gap: a transcript segment's end often runs on to the next
    sentence, so two announcements said back to back would otherwise merge into one."""
    if min_gap_s < 0:
        raise ValueError(f"min_gap_s must be >= 0, got {min_gap_s}")
    ordered = sorted(hits, key=lambda h: (h.start_s, h.end_s))
    groups: list[list[Hit]] = []
    for h in ordered:
        prev = groups[-1][-1] if groups else None
        if prev is not None and (h.start_s < prev.start_s + min_gap_s or h.start_s < prev.end_s):
            groups[-1].append(h)
        else:
            groups.append([h])
    out = []
    for g in groups:
        best = max(g, key=lambda h: (h.match, len(h.text)))
        out.append(
            Occurrence(
                start_s=min(h.start_s for h in g),
                end_s=max(h.end_s for h in g),
                kind=best.kind,
                text=best.text,
                match=best.match,
                hits=len(g),
            )
        )
    return out


def relation(a: Occurrence, b: Occurrence) -> Relation:
    """Where ``a`` lies relative to ``b``: during (the spans overlap), before or after."""
    if a.start_s < b.end_s and b.start_s < a.end_s:
        return "during"
    return "before" if a.end_s <= b.start_s else "after"


def first(occurrences: Sequence[Occurrence]) -> Occurrence | None:
    return min(occurrences, key=lambda o: o.start_s) if occurrences else None


def in_order(events: Sequence[Sequence[Occurrence]]) -> list[int]:
    """Indices of the events that occur at all, ordered by their first occurrence (ties keep the
    given order)."""
    found = [(i, first(occ)) for i, occ in enumerate(events)]
    return [i for i, o in sorted(((i, o) for i, o in found if o), key=lambda x: x[1].start_s)]


def around(anchor: Occurrence, hits: Iterable[Hit], rel: Relation, window_s: float) -> list[Hit]:
    """The hits that stand in ``rel`` to the anchor within ``window_s`` of it, nearest first:
    after (they start at or after the anchor's start and end after its end), before (they end
    before its end and start before its start), during (they overlap it)."""
    out: list[tuple[float, Hit]] = []
    for h in hits:
        if rel == "during":
            if h.start_s < anchor.end_s and anchor.start_s < h.end_s:
                out.append((abs(h.start_s - anchor.start_s), h))
        elif rel == "after":
            if h.start_s >= anchor.start_s and h.end_s > anchor.end_s:
                gap = max(0.0, h.start_s - anchor.end_s)
                if gap <= window_s:
                    out.append((gap, h))
        elif h.end_s <= anchor.end_s and h.start_s < anchor.start_s:
            gap = max(0.0, anchor.start_s - h.end_s)
            if gap <= window_s:
                out.append((gap, h))
    return [h for _, h in sorted(out, key=lambda x: x[0])]
