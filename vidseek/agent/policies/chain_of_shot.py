"""The ``chain_of_shot`` policy (after VideoChat-A1): glance at the whole video, write the key
information and search queries, select the candidate shots, look closer at them (sub-shots), and
answer with a 1-3 confidence; while not confident, loop with refined queries.

The policy drives the tool calls itself and asks the model only narrow questions with JSON-schema
constrained answers, which is what a small local model can do reliably.
"""

from __future__ import annotations

import re
from typing import Any

from vidseek.agent.answer import LETTERS, options_of
from vidseek.agent.graph import RunContext, assistant_message, call_signature, video_text_note
from vidseek.agent.policies.common import earlier_turns, question_text, user_question_message
from vidseek.agent.state import AgentState, PendingCall
from vidseek.models.tool_text import new_call_id
from vidseek.prompts import render

SEARCH_TOOLS = ("search_speech", "search_screen_text", "search_segments")
MAX_ROUNDS = 3
MAX_CANDIDATES = 8
CONFIDENCE = {1: 0.3, 2: 0.6, 3: 0.9}
_RANK_LINE = re.compile(r"^\s*(\d+)\.\s")
_SPAN_TEXT = re.compile(
    r"\[?\d+:\d+(?:\.\d+)?\s*-\s*\d+:\d+(?:\.\d+)?\]?:?|\[\d+\.\d+ s - \d+\.\d+ s\]"
)
_QUOTED = re.compile(
    r"([A-Za-z][\w ]*?) \(quoted from the video, not an instruction\): \"([^\"]*)\""
)
_MARKERS = re.compile(r"\[metadata (?:caption|summary)[^\]]*\]")
# the structured tail a caption repeats after its description ("Objects: ... Speech: ...")
_CAPTION_TAIL = re.compile(r"\.?\s+(?:Subjects|Objects|Actions|On-screen text|Speech): .*$")
_FRAME_COUNTS = re.compile(r" \(in \d+ of \d+ frames\)")
# questions about time: only these see the times of the evidence (a small model otherwise
# copies a time span as "the answer")
_ASKS_TIME = re.compile(
    r"\b(when|what time|at what (?:time|point|moment|second|minute)|how long|how many "
    r"(?:seconds|minutes)|timestamp|which (?:moment|time|second|minute))\b",
    re.I,
)


def _call(name: str, **arguments: Any) -> PendingCall:
    return {"id": new_call_id(), "name": name, "arguments": arguments, "error": None}


class ChainOfShotPolicy:
    name = "chain_of_shot"

    def plan(self, run: RunContext, state: AgentState) -> dict[str, Any]:
        step = int(state.get("step") or 0)
        pol: dict[str, Any] = dict(state.get("policy") or {})
        pol.setdefault("phase", "glance")
        pol.setdefault("round", 0)
        messages = list(state.get("messages") or [])
        if not messages:
            messages = [
                {"role": "system", "content": video_text_note()},
                user_question_message(state),
            ]
        phase = pol["phase"]
        if run.budget.is_last_step() and phase != "glance":
            phase = "answer"
            pol["final_round"] = True
        if phase == "glance":
            return self._glance(run, state, step, pol, messages)
        if phase == "key_info":
            return self._key_info(run, state, step, pol, messages)
        if phase == "select":
            return self._select(run, state, step, pol, messages)
        return self._answer(run, state, step, pol, messages)

    # --- phases -------------------------------------------------------------------------------------

    def _glance(self, run, state, step, pol, messages) -> dict[str, Any]:
        pol["phase"] = "key_info"
        if "video_overview" not in run.tools:
            return self._key_info(run, state, step, pol, messages)
        run.bus.emit("thought", step, text="Glance: overview of the whole video.")
        pending = [_call("video_overview")]
        messages.append(assistant_message("Glance at the whole video.", pending))
        return {"messages": messages, "pending": pending, "policy": pol}

    def _key_info(self, run, state, step, pol, messages) -> dict[str, Any]:
        overview = next(
            (
                r["text"]
                for r in state.get("results") or []
                if r["name"] == "video_overview" and r["ok"]
            ),
            "",
        )
        previous = ""
        if pol.get("tried"):
            previous = (
                f"Queries already tried: {', '.join(pol['tried'])}. "
                + (
                    f"They led to the uncertain answer '{pol['draft_answer']}'. "
                    if pol.get("draft_answer")
                    else ""
                )
                + "Write different queries."
            )
        prompt = render(
            "cos_key_info",
            duration_s=float(run.tool_ctx.video.duration_s),
            earlier=earlier_turns(state),
            question=question_text(state),
            overview=("Overview:\n" + _clip(_overview_text(overview), 1200)) if overview else "",
            previous=previous,
        )
        schema = {
            "type": "object",
            "properties": {
                "key_info": {"type": "string", "maxLength": 200},
                "queries": {
                    "type": "array",
                    "items": {"type": "string", "maxLength": 60},
                    "minItems": 1,
                    "maxItems": 3,
                },
            },
            "required": ["key_info", "queries"],
        }
        value = self._ask(run, step, prompt, schema, max_tokens=160)
        key_info = str(value.get("key_info") or "").strip() or str(state.get("question", ""))
        queries = [str(q).strip() for q in value.get("queries") or [] if str(q).strip()]
        if pol["round"] == 0:
            queries.append(_bare_question(str(state.get("question", ""))))
        pol["key_info"] = key_info
        seen = dict(state.get("seen_calls") or {})
        pending: list[PendingCall] = []
        for q in dict.fromkeys(queries):
            for tool in SEARCH_TOOLS:
                if tool not in run.tools:
                    continue
                args = {"query": q[:200], "top_k": 3}
                sig = call_signature(tool, args)
                if sig in seen:
                    continue
                seen[sig] = 1
                pending.append(_call(tool, **args))
        pol["tried"] = list(dict.fromkeys([*pol.get("tried", []), *queries]))
        pol["search_from"] = len(state.get("results") or [])
        pol["phase"] = "select"
        text = f"Key information: {key_info}. Searching for: {'; '.join(dict.fromkeys(queries))}"
        run.bus.emit("thought", step, text=text)
        messages.append(assistant_message(text, pending))
        if not pending:  # every query was tried before: go straight to the answer
            pol["phase"] = "answer"
            return {"messages": messages, "policy": pol, "pending": []}
        return {"messages": messages, "pending": pending, "policy": pol, "seen_calls": seen}

    def _select(self, run, state, step, pol, messages) -> dict[str, Any]:
        cands = candidates(state.get("results") or [], since=0)
        pol["phase"] = "answer"
        if not cands:
            run.bus.emit("thought", step, text="Nothing found for these queries.")
            pol["selected"] = []
            return self._answer(run, state, step, pol, messages)
        if len(cands) <= 2:
            chosen = list(range(len(cands)))
        else:
            listing = "\n".join(f"{i}. {c['label']}" for i, c in enumerate(cands, 1))
            prompt = render(
                "cos_select",
                question=question_text(state),
                key_info=pol.get("key_info", ""),
                candidates=listing,
            )
            schema = {
                "type": "object",
                "properties": {
                    "selected": {
                        "type": "array",
                        "items": {"type": "integer", "minimum": 1, "maximum": len(cands)},
                        "minItems": 1,
                        "maxItems": 3,
                    }
                },
                "required": ["selected"],
            }
            value = self._ask(run, step, prompt, schema, max_tokens=40)
            chosen = [int(i) - 1 for i in value.get("selected") or [] if str(i).isdigit()]
            chosen = [i for i in dict.fromkeys(chosen) if 0 <= i < len(cands)] or [0]
        selected = [cands[i] for i in chosen[:3]]
        pol["selected"] = [{"start_s": c["start_s"], "end_s": c["end_s"]} for c in selected]
        spans = ", ".join(f"{c['start_s']:.1f}-{c['end_s']:.1f} s" for c in selected)
        run.bus.emit("thought", step, text=f"Selected shots: {spans}; looking closer.")
        pending = self._closer_look(run, state, selected, pol)
        messages.append(assistant_message(f"Selected {spans}.", pending))
        if not pending:
            return self._answer(run, state, step, pol, messages)
        return {"messages": messages, "pending": pending, "policy": pol}

    def _closer_look(self, run: RunContext, state: AgentState, selected, pol) -> list[PendingCall]:
        """Sub-shots of the selected shots: the pixels when a vision model can see, else a fresh
        caption (speech, on-screen text, detections) of each padded span."""
        duration = float(run.tool_ctx.video.duration_s)
        spans = [
            [round(max(0.0, c["start_s"] - 1.0), 2), round(min(duration, c["end_s"] + 1.0), 2)]
            for c in selected[:2]
        ]
        spans = [s for s in spans if s[1] > s[0]]
        if not spans:
            return []
        if run.can_see and "inspect_frames" in run.tools:
            return [
                _call(
                    "inspect_frames",
                    question=question_text(state),
                    time_ranges=spans,
                    max_frames=16,
                )
            ]
        if "caption_range" in run.tools:
            focus = str(pol.get("key_info") or state.get("question", ""))[:400]
            return [_call("caption_range", time_range=s, focus=focus) for s in spans]
        return []

    def _answer(self, run, state, step, pol, messages) -> dict[str, Any]:
        """Two narrow questions instead of one wide one (a 0.5B model filling answer, evidence
        and confidence at once copies a number from the wrong place): first only the answer
        (or the option letter), then, unless the answer is found word for word in the evidence,
        which items support it and how sure the model is."""
        question = str(state.get("question", ""))
        items = evidence_items(state.get("results") or [], pol.get("selected") or [])
        options = options_of(question, state.get("options"))
        when = asks_time(question)
        # times are shown only to a multiple-choice question about time (its options are times);
        # an open "when" question picks the moment by what it shows, and the answer is its span
        key = "label" if when and options else "text"
        listing = "\n".join(f"{i}. {it[key]}" for i, it in enumerate(items, 1)) or "(nothing found)"
        common = {
            "earlier": earlier_turns(state),
            "evidence": listing,
            "question": question_text(state),
        }
        asked = _bare_question(question)  # options in the question are not what it asks
        choice: str | None = None
        if options:
            choice, answer, conf, picked = self._choose(
                run, step, common, options, items, key, asked
            )
        elif when and items:
            answer, conf, picked = self._moment(run, step, common, items, asked)
        else:
            schema = {
                "type": "object",
                "properties": {"answer": {"type": "string", "maxLength": 200}},
                "required": ["answer"],
            }
            value = self._ask(run, step, render("cos_answer", **common), schema, max_tokens=80)
            answer = " ".join(str(value.get("answer") or "").split())
            conf, picked = self._ground(run, step, common, answer, items, key, asked)
        spans = [items[i] for i in dict.fromkeys(picked) if 0 <= i < len(items)][:3]
        if not spans and items:
            spans = items[:1]
        pol["draft_answer"] = answer
        pol["round"] = int(pol.get("round", 0)) + 1
        run.bus.emit("thought", step, text=f"Answer attempt: {answer} (confidence {conf}/3)")
        if (
            conf < 3
            and pol["round"] < MAX_ROUNDS
            and not pol.get("final_round")
            and not run.budget.is_last_step()
        ):
            pol["phase"] = "key_info"
            messages.append(
                {
                    "role": "assistant",
                    "content": f"Not confident ({conf}/3) in '{answer}'; searching again.",
                }
            )
            return {"messages": messages, "policy": pol, "pending": []}
        args: dict[str, Any] = {
            "answer": answer or "not found",
            "evidence": [
                {"start_s": s["start_s"], "end_s": s["end_s"], "why": s["why"][:280]} for s in spans
            ],
            "confidence": CONFIDENCE[conf],
        }
        if choice:
            args["choice"] = choice
        pending = [_call("finish", **args)]
        messages.append(assistant_message(f"Answer: {answer}", pending))
        pol["phase"] = "done"
        return {"messages": messages, "pending": pending, "policy": pol}

    def _choose(
        self,
        run: RunContext,
        step: int,
        common: dict[str, str],
        options: list[str],
        items: list[dict[str, Any]],
        key: str,
        asked: str,
    ) -> tuple[str | None, str, int, list[int]]:
        """The option letter. Options the evidence states word for word: one settles the question
        without the model (which confuses "4792" with "4972"); several narrow its choice to them."""
        letters = list(LETTERS[: len(options)])
        stating = {
            letters[k]: [i for i, it in enumerate(items) if states(it[key], opt, asked)]
            for k, opt in enumerate(options)
        }
        stated = [letter for letter, found in stating.items() if found]
        if len(stated) == 1:
            choice = stated[0]
            run.bus.emit(
                "thought", step, text=f"The evidence states option {choice} word for word."
            )
            return choice, options[letters.index(choice)], 3, stating[choice]
        enum = stated if len(stated) > 1 else letters
        schema = {
            "type": "object",
            "properties": {"choice": {"type": "string", "enum": enum}},
            "required": ["choice"],
        }
        value = self._ask(run, step, render("cos_choose", **common), schema, max_tokens=20)
        choice = value.get("choice") if value.get("choice") in enum else None
        answer = options[letters.index(choice)] if choice else ""
        return choice, answer, *self._ground(run, step, common, answer, items, key, asked)

    def _moment(
        self,
        run: RunContext,
        step: int,
        common: dict[str, str],
        items: list[dict[str, Any]],
        asked: str,
    ) -> tuple[str, int, list[int]]:
        """An open "when" question: the model picks a moment by what it shows or says, and the
        answer is its span; confident when the moment is about the question's subject."""
        schema = {
            "type": "object",
            "properties": {"item": {"type": "integer", "minimum": 1, "maximum": len(items)}},
            "required": ["item"],
        }
        value = self._ask(run, step, render("cos_when", **common), schema, max_tokens=20)
        item = value.get("item")
        k = int(item) - 1 if isinstance(item, int) and 1 <= item <= len(items) else 0
        answer = f"{items[k]['start_s']:.1f}-{items[k]['end_s']:.1f} s"
        return answer, (3 if mentions(items[k]["text"], asked) else 2), [k]

    def _ground(
        self,
        run: RunContext,
        step: int,
        common: dict[str, str],
        answer: str,
        items: list[dict[str, Any]],
        key: str,
        asked: str,
    ) -> tuple[int, list[int]]:
        """Confidence and supporting items: the items that state the answer word for word, else
        what the model says supports it."""
        grounded = [i for i, it in enumerate(items) if answer and states(it[key], answer, asked)]
        if grounded:
            return 3, grounded
        if answer and items:
            return self._support(run, step, common, answer, len(items))
        return 1, []

    def _support(
        self, run: RunContext, step: int, common: dict[str, str], answer: str, n_items: int
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
        prompt = render("cos_support", **common, answer=answer)
        value = self._ask(run, step, prompt, schema, max_tokens=40)
        conf = value.get("confidence")
        conf = int(conf) if conf in (1, 2, 3) else 1
        picked = [int(i) - 1 for i in value.get("evidence") or [] if isinstance(i, int)]
        return conf, picked

    # --- the model ----------------------------------------------------------------------------------

    def _ask(
        self, run: RunContext, step: int, prompt: str, schema: dict[str, Any], max_tokens: int
    ) -> dict[str, Any]:
        """One constrained JSON question to the model; a reply that is not the JSON asked for
        becomes an empty dict (the phase then falls back to defaults)."""
        import json

        resp = run.call_model(
            [{"role": "user", "content": prompt}],
            step,
            response_schema=schema,
            max_tokens=max_tokens,
        )
        text = resp.content.strip()
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            m = re.search(r"\{.*\}", text, re.S)
            try:
                value = json.loads(m.group(0)) if m else {}
            except json.JSONDecodeError:
                value = {}
        if not isinstance(value, dict):
            value = {}
        if not value:
            run.bus.emit(
                "notice",
                step,
                text=f"the planner's reply was not the JSON asked for: {text[:120]!r}",
            )
        return value


# --- candidates -----------------------------------------------------------------------------------


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


def _tokens(text: str) -> list[str]:
    """Lower-case words with number words as digits, and the digits of one spoken or hyphenated
    number joined ("three eight one five", "3-8-1-5" and "381 five" all become "3815")."""
    words = [_NUMBER_WORDS.get(w, w) for w in re.findall(r"[a-z]+|\d+", text.lower())]
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
    asked = set(_tokens(question)) | _STOPWORDS
    new = [t for t in _tokens(answer) if t not in asked]
    if not new:
        return False
    have = set(_tokens(evidence))
    return all(t in have for t in new)


def mentions(evidence: str, question: str) -> bool:
    """Whether the evidence is about the question's subject: it has at least two of the
    question's content words (or all of them, when there are fewer)."""
    wanted = {t for t in _tokens(question) if t not in _STOPWORDS and not _ASKS_TIME.match(t)}
    wanted -= {"time", "moment", "announced", "said", "shown", "appear", "appears"}
    have = set(_tokens(evidence))
    return bool(wanted) and len(wanted & have) >= min(2, len(wanted))


def asks_time(question: str) -> bool:
    return bool(_ASKS_TIME.search(question))


def video_text(block: str) -> str:
    """What a tool result line says the video contains, without the bookkeeping around it
    (segment ids, spans, scores, data markers): ``speech: "..."``; ``caption: "..."``. A small
    model answers from this; ids and scores in its prompt only give it numbers to copy."""
    parts = []
    for kind, quoted in _QUOTED.findall(block):
        if _MARKERS.search(quoted):  # a metadata caption: its tail repeats its description
            quoted = _FRAME_COUNTS.sub("", _CAPTION_TAIL.sub("", quoted))
        text = " ".join(_SPAN_TEXT.sub(" ", _MARKERS.sub(" ", quoted)).split()).strip(" ;.")
        if text and text != "…":
            parts.append(f'{kind.strip().split()[-1]}: "{text}"')
    if parts:
        return "; ".join(dict.fromkeys(parts))
    return " ".join(_SPAN_TEXT.sub(" ", _MARKERS.sub(" ", block)).split())


def _overview_text(overview: str) -> str:
    head, _, rest = overview.partition("\n")
    return f"{head}\n{video_text(rest)}" if rest else head


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _bare_question(question: str) -> str:
    """The question without embedded options, as a search query."""
    return question.split("\n(A)")[0].strip()[:200]


def _blocks(text: str) -> list[str]:
    """A tool's numbered result lines ("1. ...", indented continuation lines) as one block each."""
    blocks: list[str] = []
    for line in text.splitlines():
        if _RANK_LINE.match(line):
            blocks.append(_RANK_LINE.sub("", line, count=1).strip())
        elif blocks and line.startswith(" "):
            blocks[-1] += " " + line.strip()
    return blocks


def candidates(results: list[dict[str, Any]], since: int = 0) -> list[dict[str, Any]]:
    """Evidence spans from search results, best ranks first across tools, merged where they overlap."""
    per_tool: list[list[dict[str, Any]]] = []
    for r in results[since:]:
        if not r.get("ok") or r.get("name") not in SEARCH_TOOLS:
            continue
        blocks = _blocks(r.get("text", ""))
        rows = []
        for i, ev in enumerate(r.get("evidence") or []):
            text = video_text(blocks[i]) if i < len(blocks) else ev.get("why", "")
            rows.append(
                {
                    "start_s": float(ev["start_s"]),
                    "end_s": float(ev["end_s"]),
                    "text": _clip(text, 300),
                    "why": ev.get("why", r["name"]),
                }
            )
        per_tool.append(rows)
    merged: list[dict[str, Any]] = []
    for rank in range(max((len(p) for p in per_tool), default=0)):
        for rows in per_tool:
            if rank >= len(rows):
                continue
            row = rows[rank]
            for m in merged:
                if row["start_s"] < m["end_s"] and m["start_s"] < row["end_s"]:
                    if row["text"] not in m["text"] and len(m["text"]) < 500:
                        m["text"] += " | " + row["text"]
                    break
            else:
                merged.append(dict(row))
    for m in merged[:MAX_CANDIDATES]:
        m["label"] = f"{m['text']} (at {m['start_s']:.1f}-{m['end_s']:.1f} s)"
    return merged[:MAX_CANDIDATES]


def evidence_items(
    results: list[dict[str, Any]], selected: list[dict[str, float]]
) -> list[dict[str, Any]]:
    """What the answer step sees: closer looks at the selected shots first, then the candidates."""
    items: list[dict[str, Any]] = []
    for r in results:
        if r.get("ok") and r.get("name") in (
            "caption_range",
            "inspect_frames",
            "split_shot",
            "zoom",
        ):
            ev = (r.get("evidence") or [{}])[0]
            tr = (r.get("arguments") or {}).get("time_range") or (
                (r.get("arguments") or {}).get("time_ranges") or [[None, None]]
            )[0]
            start = ev.get("start_s", tr[0] if tr else None)
            end = ev.get("end_s", tr[1] if tr else None)
            if start is None or end is None:
                continue
            text = video_text(" ".join(r.get("text", "").split()))
            items.append(
                {
                    "start_s": float(start),
                    "end_s": float(end),
                    "why": f"{r['name']}: {_clip(text, 200)}",
                    "text": _clip(text, 500),
                    "label": f"{_clip(text, 500)} (at {float(start):.1f}-{float(end):.1f} s)",
                }
            )
    for c in candidates(results):
        items.append({**c, "why": c["text"]})
    return items[:MAX_CANDIDATES]
