"""The answer step of chain_of_shot: narrow, JSON-constrained questions to the model (the option
letter, the moment, the answer words), then the confidence and the supporting items, settled
without the model when the evidence states the answer word for word."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from vidseek.agent.answer import LETTERS
from vidseek.agent.policies.chain_of_shot.evidence import Item
from vidseek.agent.policies.chain_of_shot.matching import mentions, states
from vidseek.agent.run import RunContext
from vidseek.prompts import render

Key = str  # "text" or "label": which view of an item the prompts show


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


def choose(
    run: RunContext,
    step: int,
    common: dict[str, str],
    options: list[str],
    items: Sequence[Item],
    key: Key,
    asked: str,
) -> tuple[str | None, str, int, list[int]]:
    """(letter, answer, confidence 1-3, supporting items). Options the evidence states word for
    word: one settles the question without the model (which confuses "4792" with "4972");
    several narrow its choice to them."""
    letters = list(LETTERS[: len(options)])
    stating = {
        letters[k]: [i for i, it in enumerate(items) if states(it[key], opt, asked)]  # type: ignore[literal-required]
        for k, opt in enumerate(options)
    }
    stated = [letter for letter, found in stating.items() if found]
    if len(stated) == 1:
        choice = stated[0]
        run.bus.emit("thought", step, text=f"The evidence states option {choice} word for word.")
        return choice, options[letters.index(choice)], 3, stating[choice]
    enum = stated if len(stated) > 1 else letters
    schema = {
        "type": "object",
        "properties": {"choice": {"type": "string", "enum": enum}},
        "required": ["choice"],
    }
    prompt = render("chain_of_shot.choose", run.settings, **common)
    value = ask_json(run, step, prompt, schema, max_tokens=20)
    choice = value.get("choice") if value.get("choice") in enum else None
    answer = options[letters.index(choice)] if choice else ""
    return choice, answer, *ground(run, step, common, answer, items, key, asked)


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
    return answer, *ground(run, step, common, answer, items, key, asked)


def ground(
    run: RunContext,
    step: int,
    common: dict[str, str],
    answer: str,
    items: Sequence[Item],
    key: Key,
    asked: str,
) -> tuple[int, list[int]]:
    """Confidence and supporting items: the items that state the answer word for word, else
    what the model says supports it."""
    grounded = [
        i
        for i, it in enumerate(items)
        if answer and states(it[key], answer, asked)  # type: ignore[literal-required]
    ]
    if grounded:
        return 3, grounded
    if answer and items:
        return support(run, step, common, answer, len(items))
    return 1, []


def support(
    run: RunContext, step: int, common: dict[str, str], answer: str, n_items: int
) -> tuple[int, list[int]]:
    """Which evidence items support an answer not found verbatim, and a 1-3 confidence."""
    schema = {
        "type": "object",
        "properties": {
            "evidence": {
                "type": "array",
                "items": {"type": "integer", "minimum": 1, "maximum": max(1, n_items)},
                "maxItems": 3,
            },
            "confidence": {"type": "integer", "enum": [1, 2, 3]},
        },
        "required": ["evidence", "confidence"],
    }
    prompt = render("chain_of_shot.support", run.settings, **common, answer=answer)
    value = ask_json(run, step, prompt, schema, max_tokens=40)
    conf = value.get("confidence")
    conf = int(conf) if conf in (1, 2, 3) else 1
    picked = [int(i) - 1 for i in value.get("evidence") or [] if isinstance(i, int)]
    return conf, picked
