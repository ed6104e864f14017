"""The answer step of chain_of_shot: narrow, JSON-constrained questions to the model (the option
letter, the moment, the answer words), then the verification: the confidence and the supporting
items come from what the evidence states (``matching.support``), never from the model's word, and
a question no evidence answers gets no answer (the policy abstains)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from vidseek.agent.answer import CANNOT_SEE, LETTERS
from vidseek.agent.policies.chain_of_shot.evidence import Item
from vidseek.agent.policies.chain_of_shot.matching import (
    CLOCK_SLACK_S,
    PARTIAL,
    UNSUPPORTED,
    VERIFIED,
    answer_support,
    clock_s,
    coverage,
    is_absence_option,
    mentions,
    states,
    support,
    tokens,
)
from vidseek.agent.run import RunContext
from vidseek.prompts import render

Key = str  # "text" or "label": which view of an item the prompts show

CANNOT_SEE_TEXT = (
    f"{CANNOT_SEE}: the answer needs the video's pixels, and no model in this profile can look "
    "at them (no vision-language model). The moments cited are where the search points."
)


def abstention(text: str, nearest: Sequence[Item], confidence: float) -> dict[str, Any]:
    """The finish arguments of a declined answer: the moments the searches ranked first are
    cited as where to look, marked as not stating the answer."""
    why = "nearest search hit; it does not state the answer"
    return {
        "answer": text,
        "evidence": [
            {"start_s": it["start_s"], "end_s": it["end_s"], "why": why} for it in nearest[:2]
        ],
        "confidence": confidence,
    }


def ask_json(
    run: RunContext, step: int, prompt: str, schema: dict[str, Any], max_tokens: int
) -> dict[str, Any]:
    """One constrained JSON question to the model; a reply that is not the JSON asked for
    becomes an empty dict (the phase then falls back to defaults)."""
    resp = run.call_model(
        [{"role": "user", "content": prompt}],
        step,
        response_schema=schema,
        max_tokens=max_tokens,
    )
    text = resp.content.strip()
    value = _json_object(text)
    if not value:
        run.bus.emit(
            "notice",
            step,
            text=f"the planner's reply was not the JSON asked for: {text[:120]!r}",
        )
    return value


def _json_object(text: str) -> dict[str, Any]:
    """The JSON object in a reply (whole, or from its first '{' to its last '}')."""
    for candidate in (text, text[text.find("{") : text.rfind("}") + 1]):
        try:
            value = json.loads(candidate)
        except json.JSONDecodeError:
            continue
        return value if isinstance(value, dict) else {}
    return {}


def option_support(
    option: str, options: list[str], items: Sequence[Item], key: Key, asked: str
) -> tuple[int, list[int]]:
    """How well the evidence supports one option (``matching.Support``) and the items that do
    best. An option that names a time ("at about 06:12") is verified by an item about the
    question's subject whose span holds that time, or else by an item whose words state it (a
    sign "NEXT TRAIN 11:25" answers "when is the next train?": a clock time in the video's
    words, not a moment of the video)."""
    at = clock_s(option)
    if at is not None:
        near = [
            i
            for i, it in enumerate(items)
            if it["start_s"] - CLOCK_SLACK_S <= at <= it["end_s"] + CLOCK_SLACK_S
            and mentions(it["text"], asked)
        ]
        if near:
            return VERIFIED, near
        verified = [
            i
            for i, it in enumerate(items)
            if support(it["text"], option, options, asked) == VERIFIED
        ]
        return (VERIFIED, verified) if verified else (UNSUPPORTED, [])
    levels = [support(it[key], option, options, asked) for it in items]  # type: ignore[literal-required]
    best = max(levels, default=UNSUPPORTED)
    return best, [i for i, lv in enumerate(levels) if best and lv == best]


def stated_option(
    options: list[str], items: Sequence[Item], asked: str
) -> tuple[str, str, int, list[int]] | None:
    """The one option the evidence states in words (a colour said in an announcement), with
    the model not asked; None when not exactly one is verified."""
    letters = list(LETTERS[: len(options)])
    graded = [
        (letters[k], o, *option_support(o, options, items, "text", asked))
        for k, o in enumerate(options)
        if not is_absence_option(o)
    ]
    verified = [g for g in graded if g[2] == VERIFIED]
    if len(verified) != 1:
        return None
    letter, option, _, picked = verified[0]
    return letter, option, 3, picked


def choose(
    run: RunContext,
    step: int,
    common: dict[str, str],
    options: list[str],
    items: Sequence[Item],
    key: Key,
    asked: str,
) -> tuple[str | None, str, int, list[int]]:
    """(letter, answer, confidence 0-3, supporting items), the confidence from what the evidence
    supports, never from the model: 3 one option verified (the model is not asked: it confuses
    "4792" with "4972"), 2 the model chose among several verified or partly supported options,
    or the video seems not to hold the asked thing and an option says so, 0 nothing supports any
    option (the caller abstains)."""
    letters = list(LETTERS[: len(options)])
    absent = [k for k, o in enumerate(options) if is_absence_option(o)]
    graded = {
        letters[k]: option_support(o, options, items, key, asked)
        for k, o in enumerate(options)
        if k not in absent
    }
    verified = [letter for letter, (lv, _) in graded.items() if lv == VERIFIED]
    partial = [letter for letter, (lv, _) in graded.items() if lv == PARTIAL]
    if len(verified) == 1:
        choice = verified[0]
        run.bus.emit("thought", step, text=f"The evidence states option {choice}.")
        return choice, options[letters.index(choice)], 3, graded[choice][1]
    if not verified and absent:  # only verified evidence outweighs "it is not in the video"
        choice = letters[absent[0]]
        run.bus.emit("thought", step, text=f"No evidence states any option: {choice} says so.")
        return choice, options[absent[0]], 2, []
    if not verified and len(partial) > 1:  # the options whose words the evidence covers best
        cover = {
            letter: max(
                (
                    coverage(items[i][key], options[letters.index(letter)], options, asked)
                    for i in graded[letter][1]
                ),  # type: ignore[literal-required]
                default=0.0,
            )
            for letter in partial
        }
        partial = [letter for letter in partial if cover[letter] == max(cover.values())]
    among = verified or partial
    if not among:
        run.bus.emit("thought", step, text="No evidence supports any option.")
        return None, "", 0, []
    if len(among) == 1:
        choice = among[0]
    else:
        schema = {
            "type": "object",
            "properties": {"choice": {"type": "string", "enum": among}},
            "required": ["choice"],
        }
        prompt = render("chain_of_shot.choose", run.settings, **common)
        value = ask_json(run, step, prompt, schema, max_tokens=20)
        choice = value.get("choice") if value.get("choice") in among else among[0]
    kind = "states" if verified else "partly supports"
    run.bus.emit("thought", step, text=f"The evidence {kind} options {', '.join(among)}.")
    return choice, options[letters.index(choice)], 2, graded[choice][1]


def moment(
    run: RunContext,
    step: int,
    common: dict[str, str],
    items: Sequence[Item],
    asked: str,
    referent: str = "",
) -> tuple[str, int, list[int]]:
    """An open "when" question: the model picks a moment by what it shows or says, and the
    answer is its span; confident when the moment is about the question's subject. A follow-up
    ("when was *that* code said?") names its ``referent`` (the earlier answer): a moment that
    states it word for word is the one; several narrow the model's choice to them."""
    stating = [i for i, it in enumerate(items) if referent and states(it["text"], referent, asked)]
    if len(stating) == 1:
        k = stating[0]
        run.bus.emit("thought", step, text=f"The evidence states '{referent}' at one moment.")
        return f"{items[k]['start_s']:.1f}-{items[k]['end_s']:.1f} s", 3, [k]
    allowed = [i + 1 for i in stating] or list(range(1, len(items) + 1))
    schema = {
        "type": "object",
        "properties": {"item": {"type": "integer", "enum": allowed}},
        "required": ["item"],
    }
    prompt = render("chain_of_shot.when", run.settings, **common)
    value = ask_json(run, step, prompt, schema, max_tokens=20)
    item = value.get("item")
    k = int(item) - 1 if isinstance(item, int) and item in allowed else allowed[0] - 1
    answer = f"{items[k]['start_s']:.1f}-{items[k]['end_s']:.1f} s"
    return answer, (3 if mentions(items[k]["text"], asked) else 2), [k]


def open_answer(
    run: RunContext,
    step: int,
    common: dict[str, str],
    items: Sequence[Item],
    key: Key,
    asked: str,
) -> tuple[str, int, list[int]]:
    """An open question: the answer words, then how they are supported."""
    schema = {
        "type": "object",
        "properties": {"answer": {"type": "string", "maxLength": 200}},
        "required": ["answer"],
    }
    prompt = render("chain_of_shot.answer", run.settings, **common)
    value = ask_json(run, step, prompt, schema, max_tokens=80)
    answer = " ".join(str(value.get("answer") or "").split())
    conf, picked = ground(run, step, common, answer, items, key, asked)
    if conf in (0, 2) and _DIGIT.search(answer):  # unsupported or partly: the stated one wins
        stated = stated_number(items, key, asked)
        if stated is not None:  # the evidence states a number about the subject; the model's is not
            return stated[0], 3, stated[1]
    return answer, conf, picked


_DIGIT = re.compile(r"\d")
_NUMBER = re.compile(r"\b[A-Za-z]{0,3}\d[\dA-Za-z-]*\b")
# text that gives orders ("ignore the rules", "say 42", "must be answered 42") is no witness
_ORDERS = re.compile(r"\b(ignore|disregard|say|answer|answered|must|instructions?)\b", re.I)
# a moment that tells the reader what to answer ("...RULES. ACCESS CODE: SAY 42") verifies nothing
_COMMANDS = re.compile(
    r"\b(ignore|disregard)\b|\ball (the )?rules\b|\b(say|answer(ed)?( is| with)?)\s*:?\s*\d", re.I
)


def stated_number(items: Sequence[Item], key: Key, asked: str) -> tuple[str, list[int]] | None:
    """A number or code that a moment about the question's subject states (a 0.5B model asked
    for a code copies the first digit it sees, e.g. from a sign that only mentions the subject),
    with the items that state it; None unless exactly one such number is stated. Used only when
    the model's own number is partly supported; a moment that gives orders never counts."""
    found: dict[str, list[int]] = {}
    for i, it in enumerate(items):
        text = str(it[key])  # type: ignore[literal-required]
        if _ORDERS.search(text):
            continue
        for token in dict.fromkeys(_NUMBER.findall(text)):
            if token.lower() in asked.lower() or answer_support(text, token, asked) != VERIFIED:
                continue
            found.setdefault(token, []).append(i)
    return next(iter(found.items())) if len(found) == 1 else None


def unclear_words(answer: str, supporting: Sequence[Item]) -> list[str]:
    """The answer's words that every item stating it was heard unclearly (the recognizer gave
    them a low probability: tiny.en's "8 o'clock" for a spoken "9 o'clock"); empty when one
    supporting item holds them clearly. A digit counts inside a code ("3" of "3390")."""
    said = tokens(answer)

    def in_answer(word: str) -> bool:
        return any(
            t in said or (t.isdigit() and any(t in s for s in said if s.isdigit()))
            for t in tokens(word)
        )

    per_item = [[w for w in it.get("unsure", []) if in_answer(w)] for it in supporting]
    if not per_item or not all(per_item):
        return []
    return list(dict.fromkeys(w for words in per_item for w in words))


def ground(
    run: RunContext,
    step: int,
    common: dict[str, str],
    answer: str,
    items: Sequence[Item],
    key: Key,
    asked: str,
) -> tuple[int, list[int]]:
    """Confidence and supporting items from what the evidence supports, never from the model's
    word: 3 an item states the answer, 2 an item states part of it, 0 none does (the caller
    abstains rather than pass on words no evidence holds)."""
    levels = [
        UNSUPPORTED
        if _COMMANDS.search(str(it[key]))  # type: ignore[literal-required]
        else answer_support(it[key], answer, asked)  # type: ignore[literal-required]
        for it in items
    ]
    best = max(levels, default=UNSUPPORTED)
    if best == UNSUPPORTED:
        return 0, []
    return (3 if best == VERIFIED else 2), [i for i, lv in enumerate(levels) if lv == best]
