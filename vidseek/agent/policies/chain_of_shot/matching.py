"""Word matching for the answer step: does a finding's text state an answer, is it about the
question's subject, does the question ask for a time. (It reads words of the question, the answer
and the findings' text; it never parses tool output.)"""

from __future__ import annotations

import re

_NUMBER_WORDS = {
    w: str(i)
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve".split()
    )
}
# ordinals as one token, written or spelled ("2nd" and "second" both read "2nd"); never joined
# to the digits of a number
_ORDINALS = {
    w: f"{i}{'st' if i == 1 else 'nd' if i == 2 else 'rd' if i == 3 else 'th'}"
    for i, w in enumerate(
        "_ first second third fourth fifth sixth seventh eighth ninth tenth".split()
    )
    if i
}
_STOPWORDS = frozenset(
    "a an the is are was were be of for to in on at by with and or it its this that "
    "there their what which who whom when where why how does do did answer video".split()
)
# what speech recognition writes for a spoken digit inside a number ("four seven nine two" is
# transcribed "479 to"); only read as digits right after a digit
_DIGIT_HOMOPHONES = {"to": "2", "too": "2", "for": "4", "oh": "0", "o": "0", "won": "1", "ate": "8"}
# questions about time: only these see the times of the evidence (a small model otherwise
# copies a time span as "the answer")
_ASKS_TIME = re.compile(
    r"\b(when|what time|at what (?:time|point|moment|second|minute)|how long|how many "
    r"(?:seconds|minutes)|timestamp|which (?:moment|time|second|minute))\b",
    re.I,
)
# a clock time ("11:25") is one token: as two numbers it would half-support "11:55" and "12:25"
_WORD = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?|\d+(?:st|nd|rd|th)\b|[a-z]+|\d+")


def tokens(text: str) -> list[str]:
    """Lower-case words with number words as digits, and the digits of one spoken or hyphenated
    number joined ("three eight one five", "3-8-1-5" and "381 five" all become "3815")."""
    words = [_ORDINALS.get(w, _NUMBER_WORDS.get(w, w)) for w in _WORD.findall(text.lower())]
    out: list[str] = []
    for w in words:
        after_digit = bool(out) and out[-1].isdigit()
        if after_digit and w in _DIGIT_HOMOPHONES:
            w = _DIGIT_HOMOPHONES[w]
        if after_digit and w.isdigit() and (len(w) == 1 or len(out[-1]) == 1):
            out[-1] += w
            continue
        out.append(w)
    return out


def states(evidence: str, answer: str, question: str) -> bool:
    """Whether the evidence text states the answer: every word the answer adds to the question
    (not a stop word) occurs in the evidence. An answer that adds nothing is not stated."""
    asked = set(tokens(question)) | _STOPWORDS
    new = [t for t in tokens(answer) if t not in asked]
    if not new:
        return False
    have = set(tokens(evidence))
    return all(t in have for t in new)


def mentions(evidence: str, question: str) -> bool:
    """Whether the evidence is about the question's subject: it has at least two of the
    question's content words (or all of them, when there are fewer)."""
    wanted = {t for t in tokens(question) if t not in _STOPWORDS and not _ASKS_TIME.match(t)}
    wanted -= {"time", "moment", "announced", "said", "shown", "appear", "appears"}
    have = set(tokens(evidence))
    return bool(wanted) and len(wanted & have) >= min(2, len(wanted))


def asks_time(question: str) -> bool:
    return bool(_ASKS_TIME.search(question))


_REFERS_BACK = re.compile(
    r"\b(that|this|those|these|it|its|there|then|next|again|same|earlier|before|after|"
    r"he|she|they|him|her|them|his|their)\b",
    re.I,
)


def refers_back(question: str) -> bool:
    """Whether a question leans on an earlier turn ("when was *that* code said?", "what did
    she say *next*?"): then the earlier question and answer are searched with too."""
    return bool(_REFERS_BACK.search(bare_question(question)))


def bare_question(question: str) -> str:
    """The question without embedded options, as a search query."""
    return question.split("\n(A)")[0].strip()[:200]


# --- verification: does the evidence support an option or an answer ------------------------------

Support = int  # 0 unsupported, 1 partially (some words, or off the subject), 2 verified
UNSUPPORTED, PARTIAL, VERIFIED = 0, 1, 2

# an option saying the thing is absent ("No code is announced", "A horse is never shown")
_ABSENT = re.compile(r"\b(no|not|never|none|nothing|neither|nowhere)\b", re.I)
# what marks a question as answerable from words (speech, on-screen text): never "visual"
_WORDS_CUE = re.compile(
    r"\b(announce\w*|said|says?|saying|spoken|speak\w*|mention\w*|tell\w*|told|call\w*|"
    r"sign\w*|screen|on-screen|written|writ\w*|read|reads|caption\w*|message\w*|text|"
    r"label\w*|banner|displayed|warning|code|number|name)\b",
    re.I,
)
# what marks a question whose answer only pixels show (colours, clothes, animals, objects)
_PIXELS_CUE = re.compile(
    r"\b(colou?rs?|wearing|wears?|dressed|photo\w*|picture\w*|image\w*|animal\w*|insect\w*|"
    r"look(?:s|ed)? like|shape|holding|holds|gestur\w*|appear\w*|shown|visible|see)\b",
    re.I,
)
_SIGN_LANGUAGE = re.compile(r"\bsign[- ]language\b", re.I)  # gestures, not a written sign
# what the metadata captioner writes itself, not the video's words: detector counts and known
# subjects (``models/metadata.py``, ``tools/builtin/_common.py``); a "4" in "up to 4 persons"
# never verifies an answer
_OWN_WORDS = re.compile(r"(detector found|known subjects:)[^;|]*|\(in \d+ of \d+ frames\)", re.I)
_CLOCK = re.compile(r"\b(?:(\d{1,2}):)?(\d{1,2}):(\d{2})\b")
CLOCK_SLACK_S = 5.0  # a stated "at about 06:12" matches moments this close


def video_words(evidence: str) -> str:
    """The evidence without vidseek's own bookkeeping (detector counts, subject names)."""
    return _OWN_WORDS.sub(" ", evidence)


def is_absence_option(option: str) -> bool:
    """An option that says the asked thing is not in the video."""
    return bool(_ABSENT.search(option))


def needs_pixels(question: str) -> bool:
    """Whether only pixels answer the question (its colour, what someone wears, which animal):
    it asks about something seen and nothing in it points at speech or on-screen text. Options
    count: "which appears first: a sign saying X or a photo of Y" can be placed by the sign."""
    text = _SIGN_LANGUAGE.sub("gestures", question)
    if _WORDS_CUE.search(text):
        return False
    return bool(_PIXELS_CUE.search(text))


def distinctive(option: str, options: list[str], question: str) -> list[str]:
    """The words of an option that tell it apart: not in the question, not a stop word, not
    shared by every option ("Meeting room 12" -> ["12"]; "Lot A" -> ["a"], kept because it is
    all the option has)."""
    asked = set(tokens(question))
    shared = set.intersection(*(set(tokens(o)) for o in options)) if len(options) > 1 else set()
    words = [t for t in tokens(option) if t not in asked and t not in shared]
    content = [t for t in words if t not in _STOPWORDS]
    return list(dict.fromkeys(content or words))


def _has_phrase(have: list[str], phrase: list[str]) -> bool:
    n = len(phrase)
    return n > 0 and any(have[i : i + n] == phrase for i in range(len(have) - n + 1))


def _word_in(word: str, have: set[str], joined: str) -> bool:
    """A word is in the evidence as a token, or (4+ letters) inside the run-together text,
    which catches "lake side" for "Lakeside"; a number only ever as a whole token."""
    if word in have:
        return True
    return len(word) >= 4 and word.isalpha() and word in joined


def support(evidence: str, option: str, options: list[str], question: str) -> Support:
    """How well one piece of evidence supports an option: VERIFIED when it states every word
    that tells the option apart and is about the question's subject (or states two or more
    such words), PARTIAL when it states some of them (or all, off the subject), else
    UNSUPPORTED. Words of one letter ("Lot A") count only as the option's whole phrase."""
    words = distinctive(option, options, question)
    if not words:
        return UNSUPPORTED
    evidence = video_words(evidence)
    seq = tokens(evidence)
    have, joined = set(seq), "".join(seq)
    if all(len(w) == 1 for w in words):
        phrase = [t for t in tokens(option) if t not in ("a", "an", "the") or len(t) == 1]
        found = _has_phrase(seq, phrase[-2:]) if len(phrase) > 1 else False
        return VERIFIED if found and mentions(evidence, question) else UNSUPPORTED
    hits = [w for w in words if _word_in(w, have, joined)]
    if len(hits) == len(words):
        return VERIFIED if len(words) >= 2 or mentions(evidence, question) else PARTIAL
    return PARTIAL if hits and len(hits) * 2 >= len(words) else UNSUPPORTED


def coverage(evidence: str, option: str, options: list[str], question: str) -> float:
    """The share of an option's telling words the evidence states (to rank partly supported
    options: "Lakeside Cafe on 2nd Street" covers its option better than a "Riverside Cafe")."""
    words = distinctive(option, options, question)
    seq = tokens(video_words(evidence))
    have, joined = set(seq), "".join(seq)
    return sum(_word_in(w, have, joined) for w in words) / len(words) if words else 0.0


def answer_support(evidence: str, answer: str, question: str) -> Support:
    """How well evidence supports an open answer: VERIFIED when it states it (``states``) and
    is about the question's subject, PARTIAL when it states it off the subject (a "4" in
    "up to 4 persons" does not answer "what is the access code?") or states at least half of
    the words the answer adds to the question."""
    if not answer:
        return UNSUPPORTED
    evidence = video_words(evidence)
    if states(evidence, answer, question):
        return VERIFIED if mentions(evidence, question) else PARTIAL
    asked = set(tokens(question)) | _STOPWORDS
    new = [t for t in tokens(answer) if t not in asked]
    have = set(tokens(evidence))
    hits = [t for t in new if t in have]
    return PARTIAL if new and len(hits) * 2 >= len(new) else UNSUPPORTED


def clock_s(option: str) -> float | None:
    """The time an option states ("At about 06:12" -> 372.0), or None."""
    m = _CLOCK.search(option)
    if not m:
        return None
    h, mnt, sec = int(m.group(1) or 0), int(m.group(2)), int(m.group(3))
    return float(h * 3600 + mnt * 60 + sec)


def echoes(query: str, index_text: str, question: str) -> bool:
    """Whether a written query only repeats index text (a caption, a detector count, an OCR
    fragment from the overview) instead of asking for the question's subject: at least half of
    its words come from that text and not from the question, or it is a copy of a line of it."""
    q = query.strip().lower()
    if not q:
        return True
    asked = set(tokens(question))
    words = [t for t in tokens(query) if t not in _STOPWORDS]
    if not words:
        return True
    if all(t in asked for t in words):  # the question's own words, whatever the index says
        return False
    if len(q) >= 4 and q in index_text.lower() and q not in question.lower():
        return True
    seen = set(tokens(index_text))
    copied = [t for t in words if t in seen and t not in asked]
    return len(copied) * 2 >= len(words)
