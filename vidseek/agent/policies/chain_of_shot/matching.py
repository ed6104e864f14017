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
_WORD = re.compile(r"[a-z]+|\d+")


def tokens(text: str) -> list[str]:
    """Lower-case words with number words as digits, and the digits of one spoken or hyphenated
    number joined ("three eight one five", "3-8-1-5" and "381 five" all become "3815")."""
    words = [_NUMBER_WORDS.get(w, w) for w in _WORD.findall(text.lower())]
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
