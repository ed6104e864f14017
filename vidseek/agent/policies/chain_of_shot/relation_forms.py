"""Recognising relation questions by their form: counting ("how many times is X announced?"),
ordering ("which comes first: X, or Y?", "which of these happens first?" with the events as
options) and before/after/during ("what code is announced right after the sign X appears?").

Only the question's wording is read (never the options' answers), and a question that fits no
form is left to the ordinary chain. Each form names the phrases to look for and the channels its
words point to (an announcement is speech, a sign is on-screen text)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from vidseek.tools.occurrences import content_words

Kind = Literal["count", "order", "around"]
TEXT = ["speech", "screen_text"]

_SPEECH = re.compile(
    r"\b(announce\w*|spoken|speak\w*|mention\w*|heard|hear|voice|announcer|speaker|"
    r"reminder|read out)\b",
    re.I,
)
# words of speech that also describe signs ("a sign saying ..."): speech only without a sign
_SPEECH_WEAK = re.compile(r"\b(said|says?|saying|tell|told|call(?:ed)?)\b", re.I)
_SCREEN = re.compile(
    r"\b(sign|signs|on-?screen|screen|written|writing|caption\w*|banner|displayed|display|"
    r"text|label|notice|poster|slide|message)\b",
    re.I,
)
_PIXELS = re.compile(r"\b(picture|photo\w*|image|shown|appears?|seen|visible)\b", re.I)

_COUNT = re.compile(
    r"^\s*(?:how many (?:separate |different |distinct )?(?:times|occasions)|how often)\b\s*(.*)$",
    re.I | re.S,
)
_AUX = re.compile(
    r"^(?:is|was|are|were|does|did|do|has|have|had|will|can)\s+"
    r"(?:the (?:speaker|announcer|narrator|voice)\s+|someone\s+|anyone\s+)?",
    re.I,
)
_TRAIL = re.compile(r"\s*(?:in|during|throughout) (?:the|this) (?:video|clip|recording)\s*$", re.I)
_ORDER = re.compile(
    r"^\s*(?:which|what|who)\b[^?:]*?\b(first|earliest|earlier|last|latest|later)\b\s*"
    r"(?:in (?:the|this) (?:video|clip))?\s*[:,]?\s*(.*)$",
    re.I | re.S,
)
_AROUND = re.compile(
    r"^\s*(what|which|who)\b(.*?)\b(?:right |just |immediately |shortly |directly )?"
    r"(after|before|while|during)\b\s+(.+)$",
    re.I | re.S,
)
# "is X said before or after Y?", "does X come before Y?"
_COMPARE = re.compile(
    r"^\s*(?:is|was|are|were|does|did|do)\s+(.+?)\s+(?:(come|happen|appear|occur|said|shown|"
    r"announced|heard|displayed|read|written)\s+)?(before|after)\s+(?:or\s+(?:before|after)\s+)?"
    r"(.+)$",
    re.I | re.S,
)
SAME_MOMENT = re.compile(r"\b(same (?:moment|time)|both|simultaneous\w*|together|at once)\b", re.I)
ONLY_ONE = re.compile(
    r"\b(only one|neither|never|not (?:in|shown|said|happen)|does not|doesn't)\b", re.I
)


@dataclass
class Event:
    """A phrase to find and where its words say to look."""

    what: str
    channels: list[str] = field(default_factory=lambda: list(TEXT))


@dataclass
class RelationAsk:
    """A recognised relation question: what to count, order or relate."""

    kind: Kind
    events: list[Event]
    latest: bool = False  # order: the question asks which comes last
    from_options: bool = False  # order: the events are the options
    compare: str = ""  # order: "before"/"after" asked of the first event ("either": which one)
    relation: str = "after"  # around: where the target lies relative to the anchor
    target: Event | None = None  # around: what is wanted


def channels_of(phrase: str) -> list[str]:
    """Where a phrase's words point: speech, on-screen text (and detections for things shown),
    or both text channels when they say nothing."""
    out = []
    screen = bool(_SCREEN.search(phrase))
    if _SPEECH.search(phrase) or (_SPEECH_WEAK.search(phrase) and not screen):
        out.append("speech")
    if screen:
        out.append("screen_text")
    if not out and _PIXELS.search(phrase):
        out += ["screen_text", "detection"]
    return out or list(TEXT)


def _clean(phrase: str) -> str:
    phrase = _TRAIL.sub("", phrase.strip().rstrip("?.!").strip())
    return " ".join(phrase.split())


# "double", “curly” or 'single' quotes (single ones only at word edges: "this week's permit")
_QUOTED = re.compile(r"[\"“]([^\"”]{2,120})[\"”]|(?<![\w])'([^']{2,120})'(?![\w])")


def _event(phrase: str) -> Event | None:
    """The phrase to look for: the quoted words when it quotes some ("the word 'closed'"), else
    the whole phrase (matching ignores its stop words and channel words)."""
    phrase = _clean(phrase)
    quoted = _QUOTED.search(phrase)
    what = (quoted.group(1) or quoted.group(2)).strip() if quoted else phrase
    return Event(what, channels_of(phrase)) if content_words(what) else None


def _split_pair(text: str) -> list[str]:
    """ "X, or Y" / "X or Y" / "X and Y" -> [X, Y] (the last separator splits)."""
    for sep in (r",\s*or\s+", r"\s+or\s+", r",\s*and\s+", r"\s+and\s+"):
        parts = re.split(sep, text, flags=re.I)
        if len(parts) >= 2:
            return [" or ".join(parts[:-1]), parts[-1]]
    return []


def is_generic_option(option: str) -> bool:
    """An option that is no event ("Both happen at the same moment", "Only one happens")."""
    return bool(SAME_MOMENT.search(option) or ONLY_ONE.search(option))


def recognise(question: str, options: list[str] | None = None) -> RelationAsk | None:
    """The relation a question asks for, or None when it is no counting, ordering or
    before/after/during question."""
    q = " ".join(question.split("\n(A)")[0].split())
    if re.search(r"\bhow long\b", q, re.I):
        return None
    m = _COUNT.match(q)
    if m:
        subject = _AUX.sub("", m.group(1).strip())
        ev = _event(subject)
        if ev is None:
            return None
        ev.channels = channels_of(q)
        return RelationAsk("count", [ev])
    m = _ORDER.match(q)
    if m:
        latest = m.group(1).lower() in ("last", "latest", "later")
        rest = _clean(m.group(2))
        pair = [e for e in (_event(p) for p in _split_pair(rest)) if e]
        if len(pair) == 2:
            return RelationAsk("order", pair, latest=latest)
        events = [_event(o) for o in options or [] if not is_generic_option(o)]
        # "which of these happens first?": the options are the events (only when the question
        # names none itself; "what is the first thing said?" is no ordering question)
        if not rest and len(events) >= 2 and all(events):
            return RelationAsk("order", [e for e in events if e], latest, from_options=True)
        return None
    m = _COMPARE.match(q)
    if m:
        first = _event(m.group(1))
        if first is not None and m.group(2):  # "the code is *announced* before...": speech
            first.channels = channels_of(f"{m.group(1)} {m.group(2)}")
        pair = [first, _event(m.group(4))]
        either = re.search(r"\bbefore or after\b|\bafter or before\b", q, re.I)
        if all(pair):
            compare = "either" if either else m.group(3).lower()
            return RelationAsk("order", [e for e in pair if e], compare=compare)
    m = _AROUND.match(q)
    if m:
        target, rel, anchor = m.group(2), m.group(3).lower(), m.group(4)
        anchor_ev = _event(anchor)
        target_ev = _event(target) or Event("", channels_of(target))
        if anchor_ev is None:
            return None
        target_ev.channels = [c for c in target_ev.channels if c in TEXT] or list(TEXT)
        relation = "during" if rel in ("while", "during") else rel
        return RelationAsk("around", [anchor_ev], relation=relation, target=target_ev)
    return None
