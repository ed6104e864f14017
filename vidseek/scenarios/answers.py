"""Answers in every shape a benchmark or a model writes them: a letter, a 0-based index or the
option's text all map to one option letter, so scoring never depends on the format."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

_EMBEDDED = re.compile(r"\n\s*\(([A-Z])\)\s*")
_PREFIX = re.compile(r"^\s*(?:\(([A-Z])\)|([A-Z])[\.\):])\s+")
_LETTER_ONLY = re.compile(r"^\s*[\(\[]?([A-Z])[\)\]\.:]?\s*$")
_LEADING_LETTER = re.compile(r"^\s*(?:\(([A-Z])\)|([A-Z])(?:[\)\]\.:,]|\s+[-–—]))")
_ANSWER_IS = re.compile(
    r"(?i:answer|option|choice)\s*(?i:is)?\s*[:=]?\s*(?i:option\s+)?[\(\[]?([A-Z])(?![A-Za-z0-9])"
)


def letter(index: int) -> str:
    return LETTERS[index]


def format_options(options: Sequence[str]) -> str:
    return "\n".join(f"({letter(i)}) {opt}" for i, opt in enumerate(options))


def split_embedded_options(question: str) -> tuple[str, list[str]]:
    """Split 'stem\\n(A) x\\n(B) y' (LVBench style) into the stem and the option texts."""
    parts = _EMBEDDED.split(question)
    stem = parts[0].strip()
    options = [parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)]
    return stem, options


def strip_option_prefix(option: str) -> str:
    """'A. Apples.' or '(A) Apples.' -> 'Apples.' (Video-MME and friends prefix their options)."""
    m = _PREFIX.match(option)
    return option[m.end() :].strip() if m else option.strip()


def normalise_text(text: str) -> str:
    """Lower case, punctuation to spaces, collapsed whitespace: for comparing option texts."""
    text = re.sub(r"[^\w\s]", " ", str(text).lower())
    return re.sub(r"\s+", " ", text).strip()


def to_letter(answer: Any, options: Sequence[str]) -> str | None:
    """A reference answer as a letter. An ``int`` is a 0-based index; a string is first matched
    against the option texts (MLVU's count options are digits, so text wins over index), then read
    as a letter; ``None`` when it names no option."""
    if answer is None or not options:
        return None
    if isinstance(answer, bool):
        return None
    if isinstance(answer, int):
        return letter(answer) if 0 <= answer < len(options) else None
    text = str(answer).strip()
    exact = [i for i, opt in enumerate(options) if opt.strip() == text] if text else []
    if exact:  # duplicated option texts (a few MLVU items) are the same answer: the first one
        return letter(exact[0])
    m = _LETTER_ONLY.match(text.upper()) if len(text) <= 4 else None
    if m and LETTERS.index(m.group(1)) < len(options):
        return m.group(1)
    norm = normalise_text(text)
    loose = [i for i, opt in enumerate(options) if normalise_text(opt) == norm]
    if len(loose) == 1:
        return letter(loose[0])
    prefixed = [
        i for i, opt in enumerate(options) if normalise_text(strip_option_prefix(opt)) == norm
    ]
    if len(prefixed) == 1:
        return letter(prefixed[0])
    return None


def parse_choice(text: str | None, options: Sequence[str]) -> str | None:
    """The option a model picked in free text ('B', '(B) red', 'The answer is B.', or the option's
    words); ``None`` when the text names no option or several."""
    if not text or not options:
        return None
    n = len(options)
    stripped = text.strip()
    direct = to_letter(stripped, options)
    if direct:
        return direct
    for rx in (_LETTER_ONLY, _ANSWER_IS):
        m = rx.search(stripped)
        if m and m.group(1) in LETTERS[:n]:
            return m.group(1)
    m = _LEADING_LETTER.match(stripped)
    if m and (m.group(1) or m.group(2)) in LETTERS[:n]:
        return m.group(1) or m.group(2)
    norm = f" {normalise_text(stripped)} "
    hits = [i for i, opt in enumerate(options) if (o := normalise_text(opt)) and f" {o} " in norm]
    if len(hits) > 1:  # prefer the longest option when one option's text contains another's
        longest = max(hits, key=lambda i: len(normalise_text(options[i])))
        others = [i for i in hits if i != longest]
        inside = normalise_text(options[longest])
        if all(normalise_text(options[i]) in inside for i in others):
            hits = [longest]
    return letter(hits[0]) if len(hits) == 1 else None


def is_correct(
    gold_letter: str | None,
    options: Sequence[str],
    prediction: dict[str, Any],
    answer_text: str | None = None,
    aliases: Sequence[str] = (),
) -> bool | None:
    """Grade one prediction. Multiple choice: the predicted letter (its ``choice``, else parsed from
    its ``answer``) equals the gold letter. Open-ended with a short reference (<= 4 words, e.g.
    ActivityNet-QA 'yes'): normalised match of the reference or an alias. Long open-ended
    references (summaries) need a judge model: ``None`` (not graded)."""
    if options:
        if gold_letter is None:
            return None
        choice = prediction.get("choice")
        picked = to_letter(choice, options) if choice not in (None, "") else None
        if picked is None:
            picked = parse_choice(prediction.get("answer"), options)
        if picked is None:
            return False
        same_text = options[ord(picked) - 65].strip() == options[ord(gold_letter) - 65].strip()
        return picked == gold_letter or same_text
    refs = [r for r in [answer_text, *aliases] if r]
    if not refs or any(len(normalise_text(r).split()) > 4 for r in refs[:1]):
        return None
    said = normalise_text(prediction.get("answer") or "")
    if not said:
        return False
    return any(said == normalise_text(r) or f" {normalise_text(r)} " in f" {said} " for r in refs)
