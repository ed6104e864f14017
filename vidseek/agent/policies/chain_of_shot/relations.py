"""The relation step of chain_of_shot: a counting, ordering or before/after/during question
(``relation_forms``) goes to a tool of role ``relate`` first, and the answer is computed from
what it found in time (the count, the order, the item next to the anchor), citing those spans.

When the occurrences cannot be found the answer says so and what was searched, rather than
guessing; a before/after/during question whose anchor is not found goes on with the ordinary
chain (what it asks about may still be found by searching for it alone)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from vidseek.agent.answer import DECLINING, LETTERS, options_of
from vidseek.agent.messages import assistant_message
from vidseek.agent.policies.chain_of_shot import answering
from vidseek.agent.policies.chain_of_shot.evidence import Item
from vidseek.agent.policies.chain_of_shot.matching import bare_question, states
from vidseek.agent.policies.chain_of_shot.relation_forms import (
    ONLY_ONE,
    SAME_MOMENT,
    RelationAsk,
    recognise,
)
from vidseek.agent.policies.common import earlier_turns, question_text
from vidseek.agent.run import RunContext
from vidseek.agent.state import AgentState, PendingCall
from vidseek.models.tool_text import new_call_id
from vidseek.tools.occurrences import coverage, tokens

SURE, UNSURE, LOW, ABSTAIN = 0.9, 0.6, 0.3, 0.1
STRONG_MATCH = 0.8  # every content word but (about) one found: a confident occurrence
CHANNEL_NAMES = {"speech": "speech", "screen_text": "on-screen text", "detection": "detections"}

Update = dict[str, Any]


def _call(name: str, **arguments: Any) -> PendingCall:
    return {"id": new_call_id(), "name": name, "arguments": arguments, "error": None}


def _where(channels: Sequence[str]) -> str:
    return " and ".join(CHANNEL_NAMES.get(c, c) for c in dict.fromkeys(channels))


def _span(row: dict[str, Any]) -> str:
    return f"{row['start_s']:.1f}-{row['end_s']:.1f} s"


def _tool_call(run: RunContext, ask: RelationAsk) -> PendingCall | None:
    tool = next(
        (t for t in run.tools_for("relate") if getattr(t, "relation", "") == ask.kind), None
    )
    if tool is None:
        return None
    if ask.kind == "count":
        ev = ask.events[0]
        return _call(tool.name, what=ev.what[:300], channels=ev.channels)
    if ask.kind == "order":
        events = [{"what": e.what[:300], "channels": e.channels} for e in ask.events[:6]]
        return _call(tool.name, events=events)
    anchor, target = ask.events[0], ask.target
    return _call(
        tool.name,
        anchor=anchor.what[:300],
        anchor_channels=anchor.channels,
        relation=ask.relation,
        target=(target.what if target else "")[:300],
        target_channels=target.channels if target else ["speech", "screen_text"],
    )


def plan(
    run: RunContext, state: AgentState, step: int, pol: dict[str, Any], messages: list
) -> Update | None:
    """The relation tool's call when the question is a relation question (else None)."""
    question = str(state.get("question", ""))
    ask = recognise(question, options_of(question, state.get("options")))
    call = _tool_call(run, ask) if ask else None
    if ask is None or call is None:
        return None
    pol["relation"] = {
        "kind": ask.kind,
        "latest": ask.latest,
        "from_options": ask.from_options,
        "compare": ask.compare,
    }
    pol["phase"] = "relation"
    text = f"A {ask.kind} question: computing it from the timed findings."
    run.bus.emit("thought", step, text=text)
    messages.append(assistant_message(text, [call]))
    return {"messages": messages, "pending": [call], "policy": pol}


def answer(
    run: RunContext, state: AgentState, step: int, pol: dict[str, Any], messages: list
) -> Update | None:
    """The finish call computed from the relation tool's result, or None to go on with the
    ordinary chain."""
    done = [r for r in state.get("results") or [] if r.get("role") == "relate"]
    info = pol.get("relation") or {}
    if not done or not done[-1].get("ok"):
        return None
    data = done[-1].get("data") or {}
    question = str(state.get("question", ""))
    options = options_of(question, state.get("options")) or []
    kind = info.get("kind")
    if kind == "count":
        result = _count(data, options, run.can_see)
    elif kind == "order":
        result = _order(data, options, info, run.can_see)
    else:
        result = _around(run, state, step, data, options)
    if result is None:
        run.bus.emit("thought", step, text="The anchor was not found; searching as usual.")
        return None
    text, evidence, conf, choice = result
    return finish(run, step, pol, messages, text, evidence, conf, choice)


def finish(
    run: RunContext,
    step: int,
    pol: dict[str, Any],
    messages: list,
    text: str,
    evidence: list[dict[str, Any]],
    conf: float,
    choice: str | None,
) -> Update:
    spans = [{**e, "why": str(e.get("why", ""))[:280]} for e in evidence[:20]]
    args: dict[str, Any] = {"answer": text[:4000], "evidence": spans, "confidence": conf}
    if choice:
        args["choice"] = choice
    tool = run.tool_for("finish")
    assert tool is not None  # the Agent refuses a tool set without one
    call = _call(tool.name, **args)
    run.bus.emit("thought", step, text=f"Answer from the timed findings: {text}")
    messages.append(assistant_message(f"Answer: {text}", [call]))
    pol["phase"] = "done"
    return {"messages": messages, "pending": [call], "policy": pol}


Result = tuple[str, list[dict[str, Any]], float, str | None]


NOT_FOUND, CANNOT_SEE = DECLINING


def _decline(channels: Sequence[str], can_see: bool) -> str:
    """How an abstention begins: "cannot see" when what was missed may only show in pixels and
    no model here looks at them, else "could not find"."""
    if not can_see and "detection" in channels:
        return f"{CANNOT_SEE} (this profile reads only speech, on-screen text and detected classes)"
    return NOT_FOUND


def _count(data: dict[str, Any], options: list[str], can_see: bool) -> Result:
    occ = list(data.get("occurrences") or [])
    what, channels = str(data.get("what", "")), list(data.get("channels") or [])
    if not occ:
        near = list(data.get("near_misses") or [])
        text = (
            f"{_decline(channels, can_see)}: no {_where(channels)} states '{what}', so I cannot "
            "count it."
        )
        if near:  # abstain, but say where something close was found
            text += " Something close was found at " + ", ".join(_span(o) for o in near) + "."
        spans = [
            {"start_s": o["start_s"], "end_s": o["end_s"], "why": f"nearly states: {what}"}
            for o in near
        ]
        return text, spans, ABSTAIN, None
    n = len(occ)
    evidence = [
        {"start_s": o["start_s"], "end_s": o["end_s"], "why": f"occurrence {i} of {n}: {what}"}
        for i, o in enumerate(occ, 1)
    ]
    at = ", ".join(_span(o) for o in occ)
    text = f"{n} time{'s' if n > 1 else ''} (at {at})"
    # sure only when every occurrence states it clearly and nothing else nearly does
    strong = all(float(o.get("match", 0)) >= STRONG_MATCH for o in occ)
    strong = strong and not data.get("near_misses")
    if not options:
        return text, evidence, SURE if strong else UNSURE, None
    stating = [k for k, o in enumerate(options) if str(n) in tokens(o)]
    if len(stating) != 1:
        return f"{NOT_FOUND} among the options: {text}; no option says {n}", evidence, LOW, None
    k = stating[0]
    return f"{options[k]} ({text})", evidence, SURE if strong else UNSURE, LETTERS[k]


def _order(data: dict[str, Any], options: list[str], info: dict[str, Any], can_see: bool) -> Result:
    events = list(data.get("events") or [])
    order = [int(i) for i in data.get("order") or []]
    missing = [int(i) for i in data.get("missing") or []]
    evidence = [
        {
            "start_s": events[i]["first"]["start_s"],
            "end_s": events[i]["first"]["end_s"],
            "why": f"first occurrence of: {events[i]['what']}",
        }
        for i in order
    ]
    found = "; ".join(f"'{events[i]['what']}' at {_span(events[i]['first'])}" for i in order)
    if missing:
        lost = ", ".join(f"'{events[i]['what']}'" for i in missing)
        where = sorted({c for i in missing for c in events[i].get("channels") or []})
        text = (
            f"{_decline(where, can_see)}: no {_where(where)} states {lost}, so I cannot tell the "
            "order" + (f" (found {found})" if found else "") + "."
        )
        return text, evidence, ABSTAIN, None
    wanted = order[-1] if info.get("latest") else order[0]
    same = [set(p) for p in data.get("same_time") or []]
    statement = " then ".join(f"'{events[i]['what']}' ({_span(events[i]['first'])})" for i in order)
    strong = all(float(events[i]["first"].get("match", 0)) >= STRONG_MATCH for i in order)
    conf = SURE if strong else UNSURE
    if info.get("compare"):
        return _compare(data, options, str(info["compare"]), statement, evidence, conf)
    if not options:
        return f"In order: {statement}", evidence, conf, None
    if info.get("from_options"):
        k = _option_of_event(options, events[wanted]["what"])
        return f"{options[k]} (in order: {statement})", evidence, conf, LETTERS[k]
    if len(events) == 2 and {0, 1} in same:
        k = next((k for k, o in enumerate(options) if SAME_MOMENT.search(o)), None)
        if k is not None:
            return f"{options[k]} ({statement})", evidence, conf, LETTERS[k]
    other = [i for i in order if i != wanted]
    scores = [
        coverage(events[wanted]["what"], o)
        - max((coverage(events[i]["what"], o) for i in other), default=0)
        for o in options
    ]
    best = max(range(len(options)), key=lambda k: scores[k])
    if scores[best] <= 0 or ONLY_ONE.search(options[best]):
        return f"{NOT_FOUND} among the options: in order, {statement}", evidence, LOW, None
    return f"{options[best]} ({statement})", evidence, conf, LETTERS[best]


_WORDS_FOR = {
    "before": re.compile(r"\b(before|first|earlier)\b", re.I),
    "after": re.compile(r"\b(after|later|second)\b", re.I),
    "during": SAME_MOMENT,
}


def _compare(
    data: dict[str, Any],
    options: list[str],
    asked: str,
    statement: str,
    evidence: list[dict[str, Any]],
    conf: float,
) -> Result:
    """ "Is X before or after Y?" / "Does X come before Y?": where X's first occurrence lies
    relative to Y's, as the option that says so (or yes/no)."""
    x, y = (data["events"][i]["first"] for i in (0, 1))
    if x["start_s"] < y["end_s"] and y["start_s"] < x["end_s"]:
        actual = "during"
    else:
        actual = "before" if x["start_s"] < y["start_s"] else "after"
    said = f"{actual} ({statement})"
    if asked in ("before", "after"):
        yes = actual == asked
        said = ("Yes, " if yes else "No, ") + said
        pick = [k for k, o in enumerate(options) if re.match(r"\s*(yes|no)\b", o, re.I)]
        pick = [k for k in pick if options[k].strip().lower().startswith("yes" if yes else "no")]
    else:
        pick = []
    if not pick:
        pick = [
            k
            for k, o in enumerate(options)
            if _WORDS_FOR[actual].search(o)
            and not any(_WORDS_FOR[w].search(o) for w in _WORDS_FOR if w != actual)
        ]
    if not options:
        return said, evidence, conf, None
    if len(pick) != 1:
        return f"{NOT_FOUND} among the options: {said}", evidence, LOW, None
    return f"{options[pick[0]]} ({said})", evidence, conf, LETTERS[pick[0]]


def _option_of_event(options: list[str], what: str) -> int:
    """The option an event was read from (the events of a "which of these" question are the
    options, so the match is exact)."""
    for k, o in enumerate(options):
        if " ".join(o.split()).rstrip("?.!") == what:
            return k
    return max(range(len(options)), key=lambda k: coverage(what, options[k]))


def _around(
    run: RunContext, state: AgentState, step: int, data: dict[str, Any], options: list[str]
) -> Result | None:
    anchors = list(data.get("anchors") or [])
    if not anchors:
        return None
    question = str(state.get("question", ""))
    asked = bare_question(question)
    items: list[Item] = []
    for a in anchors:
        for h in a.get("items") or []:
            items.append(
                {
                    "start_s": h["start_s"],
                    "end_s": h["end_s"],
                    "text": f'{h["kind"]}: "{h["text"]}"',
                    "why": f"{h['kind']} {data.get('relation')} '{data.get('anchor')}'",
                    "label": "",
                }
            )
    anchor = anchors[0]
    anchor_ev = {
        "start_s": anchor["start_s"],
        "end_s": anchor["end_s"],
        "why": f"anchor: {data.get('anchor')}",
    }
    if not items:
        text = (
            f"{NOT_FOUND}: '{data.get('anchor')}' is at {_span(anchor)}, but nothing is said "
            f"or written {data.get('relation')} it."
        )
        return text, [anchor_ev], ABSTAIN, None
    if options:  # the nearest item that states exactly one option settles it
        for it in items:
            stated = [k for k, o in enumerate(options) if states(it["text"], o, asked)]
            if len(stated) == 1:
                k = stated[0]
                ev = [anchor_ev, _item_ev(it)]
                return f"{options[k]} ({it['text']} at {_span(it)})", ev, SURE, LETTERS[k]
    listing = "\n".join(f"{i}. {it['text']}" for i, it in enumerate(items, 1))
    common = {
        "earlier": earlier_turns(state),
        "evidence": listing,
        "question": question_text(state),
    }
    if options:
        letter, text, conf, picked = answering.choose(
            run, step, common, options, items, "text", asked
        )
    else:
        letter = None
        text, conf, picked = answering.open_answer(run, step, common, items, "text", asked)
    ev = [anchor_ev] + [_item_ev(items[i]) for i in picked if 0 <= i < len(items)][:2]
    return text or "not found", ev, {1: LOW, 2: UNSURE, 3: SURE}[conf], letter


def _item_ev(it: Item) -> dict[str, Any]:
    return {"start_s": it["start_s"], "end_s": it["end_s"], "why": it["why"][:280]}
