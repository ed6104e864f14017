"""The phases of chain_of_shot: glance (the overview tool), key information and queries (every
search tool), select candidate moments, look closer (a look tool), answer; while not confident,
loop with refined queries. Each phase is one planner step; its bookkeeping is
``ChainOfShotState``. (About 420 lines: the phase machine reads best in one place; the work of each
phase lives in evidence, matching, answering and relations.)"""

from __future__ import annotations

from typing import Any, Literal, TypedDict, cast

from vidseek.agent.answer import NOT_FOUND, options_of
from vidseek.agent.guard import copied_from_video, video_text
from vidseek.agent.messages import assistant_message, call_signature, video_text_note
from vidseek.agent.policies.chain_of_shot import answering, relations
from vidseek.agent.policies.chain_of_shot.evidence import (
    Item,
    candidates,
    evidence_items,
    index_text,
    overview_text,
    verbatim_first,
)
from vidseek.agent.policies.chain_of_shot.matching import (
    asks_time,
    bare_question,
    echoes,
    needs_pixels,
    refers_back,
)
from vidseek.agent.policies.common import earlier_turns, question_text, user_question_message
from vidseek.agent.run import RunContext
from vidseek.agent.state import AgentState, PendingCall, PolicyState
from vidseek.models.tool_text import new_call_id
from vidseek.prompts import render
from vidseek.tools.findings import span_label

MAX_ROUNDS = 3
# evidence support -> confidence: 3 verified, 2 partly supported or absent by search, 1 a moment
# off the subject, 0 an abstention
CONFIDENCE = {0: 0.0, 1: 0.3, 2: 0.6, 3: 0.9}
SEARCH_TOP_K = 3
LOOK_PAD_S = 1.0  # a closer look widens each selected span by this much on each side

Phase = Literal["glance", "relation", "key_info", "select", "answer", "done"]


class Span(TypedDict):
    start_s: float
    end_s: float


class ChainOfShotState(PolicyState, total=False):
    phase: Phase
    round: int  # answer attempts so far
    key_info: str  # what to look for, in the model's words
    tried: list[str]  # queries searched so far
    search_from: int  # index of the first result of this round's searches
    selected: list[Span]  # the moments looked at closer
    final_round: bool  # the budget allows no more rounds
    relation: dict[str, Any]  # the relation question recognised ({} when none), see relations.py
    blind: bool  # the question needs pixels and no model here can see them


Update = dict[str, Any]


def _call(name: str, **arguments: Any) -> PendingCall:
    return {"id": new_call_id(), "name": name, "arguments": arguments, "error": None}


class ChainOfShotPolicy:
    """Drives the tool calls itself and asks the model only narrow questions with JSON-schema
    constrained answers, which is what a small local model can do reliably."""

    name = "chain_of_shot"

    def plan(self, run: RunContext, state: AgentState) -> Update:
        step = int(state.get("step") or 0)
        pol = cast(ChainOfShotState, dict(state.get("policy") or {}))
        pol.setdefault("phase", "glance")
        pol.setdefault("round", 0)
        messages = list(state.get("messages") or [])
        if not messages:
            messages = [
                {"role": "system", "content": video_text_note(run.settings)},
                user_question_message(state),
            ]
        phase = pol["phase"]
        if run.budget.is_last_step() and phase != "glance":
            phase = "answer"
            pol["final_round"] = True
        if phase == "glance":
            return self._glance(run, state, step, pol, messages)
        # counting, ordering and before/after questions are computed from the timed findings
        # first (relations.py); None goes on with the ordinary chain
        if phase == "key_info" and pol["round"] == 0 and "relation" not in pol:
            pol["relation"] = {}
            update = relations.plan(run, state, step, pol, messages)
            if update is not None:
                return update
        if phase == "relation":
            update = relations.answer(run, state, step, pol, messages)
            if update is not None:
                return update
            pol["phase"] = phase = "key_info"
        if phase == "key_info":
            return self._key_info(run, state, step, pol, messages)
        if phase == "select":
            return self._select(run, state, step, pol, messages)
        return self._answer(run, state, step, pol, messages)

    # --- phases -------------------------------------------------------------------------------------

    def _glance(
        self, run: RunContext, state: AgentState, step: int, pol: ChainOfShotState, messages: list
    ) -> Update:
        pol["phase"] = "key_info"
        pol["blind"] = not run.can_see and needs_pixels(str(state.get("question", "")))
        overview = run.tool_for("overview")
        if overview is None:
            return self._key_info(run, state, step, pol, messages)
        run.bus.emit("thought", step, text="Glance: overview of the whole video.")
        pending = [_call(overview.name)]
        messages.append(assistant_message("Glance at the whole video.", pending))
        return {"messages": messages, "pending": pending, "policy": pol}

    def _key_info(
        self, run: RunContext, state: AgentState, step: int, pol: ChainOfShotState, messages: list
    ) -> Update:
        if pol.get("blind"):
            return self._search(run, state, step, pol, messages, [], "")
        overview = overview_text(state.get("results") or [])
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
            "chain_of_shot.key_info",
            run.settings,
            duration_s=float(run.tool_ctx.video.duration_s),
            earlier=earlier_turns(state),
            question=question_text(state),
            overview=("Overview:\n" + overview) if overview else "",
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
        value = answering.ask_json(run, step, prompt, schema, max_tokens=160)
        key_info = str(value.get("key_info") or "").strip() or str(state.get("question", ""))
        said = video_text(state.get("results") or [])
        queries = [
            str(q).strip()
            for q in value.get("queries") or []
            if str(q).strip() and not copied_from_video(str(q), said, question_text(state))
        ]  # a query that copies the video's words is the video steering the search: dropped
        return self._search(run, state, step, pol, messages, queries, key_info)

    def _search(
        self,
        run: RunContext,
        state: AgentState,
        step: int,
        pol: ChainOfShotState,
        messages: list,
        queries: list[str],
        key_info: str,
    ) -> Update:
        """Every search tool for every query: the written ones that do not merely repeat index
        text, and in the first round the question itself (and what a follow-up refers to). A
        question only pixels answer, on a profile that cannot see, searches with the question
        alone and goes straight to the answer (which says it cannot see)."""
        question = str(state.get("question", ""))
        shown = index_text(state.get("results") or [])
        dropped = [q for q in queries if echoes(q, shown, bare_question(question))]
        if dropped:
            run.bus.emit("notice", step, text=f"queries that repeat index text dropped: {dropped}")
        queries = [q for q in queries if q not in dropped]
        if pol["round"] == 0:
            queries.append(bare_question(question))
            queries += follow_up_queries(state, question)
        key_info = key_info or bare_question(question)
        pol["key_info"] = key_info
        seen = dict(state.get("seen_calls") or {})
        pending: list[PendingCall] = []
        searchers = sorted(run.tools_for("search"), key=lambda t: verbatim_first(t.finds))
        for q in dict.fromkeys(queries):
            for tool in searchers:
                args = tool.search_call(q[:200], SEARCH_TOP_K)
                sig = call_signature(tool.name, args)
                if sig in seen:
                    continue
                seen[sig] = 1
                pending.append(_call(tool.name, **args))
        pol["tried"] = list(dict.fromkeys([*pol.get("tried", []), *queries]))
        pol["search_from"] = len(state.get("results") or [])
        pol["phase"] = "answer" if pol.get("blind") else "select"
        text = f"Key information: {key_info}. Searching for: {'; '.join(dict.fromkeys(queries))}"
        run.bus.emit("thought", step, text=text)
        messages.append(assistant_message(text, pending))
        if not pending:  # every query was tried before: go straight to the answer
            pol["phase"] = "answer"
            return {"messages": messages, "policy": pol, "pending": []}
        return {"messages": messages, "pending": pending, "policy": pol, "seen_calls": seen}

    def _select(
        self, run: RunContext, state: AgentState, step: int, pol: ChainOfShotState, messages: list
    ) -> Update:
        question = bare_question(str(state.get("question", "")))
        cands = candidates(state.get("results") or [], question)
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
                "chain_of_shot.select",
                run.settings,
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
            value = answering.ask_json(run, step, prompt, schema, max_tokens=40)
            chosen = [int(i) - 1 for i in value.get("selected") or [] if str(i).isdigit()]
            chosen = [i for i in dict.fromkeys(chosen) if 0 <= i < len(cands)] or [0]
        selected = [cands[i] for i in chosen[:3]]
        pol["selected"] = [{"start_s": c["start_s"], "end_s": c["end_s"]} for c in selected]
        spans = ", ".join(span_label(c["start_s"], c["end_s"]) for c in selected)
        run.bus.emit("thought", step, text=f"Selected shots {spans}; looking closer.")
        pending = self._closer_look(run, state, selected, pol)
        messages.append(assistant_message(f"Selected {spans}.", pending))
        if not pending:
            return self._answer(run, state, step, pol, messages)
        return {"messages": messages, "pending": pending, "policy": pol}

    def _closer_look(
        self, run: RunContext, state: AgentState, selected: list[Item], pol: ChainOfShotState
    ) -> list[PendingCall]:
        """A closer look at the selected moments (padded): at the pixels with a look tool that
        needs vision when a vision model can see, else with one that does not (a fresh caption
        from speech, on-screen text and detections)."""
        duration = float(run.tool_ctx.video.duration_s)
        spans = [
            [
                round(max(0.0, c["start_s"] - LOOK_PAD_S), 2),
                round(min(duration, c["end_s"] + LOOK_PAD_S), 2),
            ]
            for c in selected[:2]
        ]
        spans = [s for s in spans if s[1] > s[0]]
        looks = run.tools_for("look")
        seeing = [t for t in looks if t.needs_vision] if run.can_see else []
        tool = (seeing or [t for t in looks if not t.needs_vision] or [None])[0]
        if not spans or tool is None:
            return []
        if tool.needs_vision:
            question = question_text(state)
        else:
            question = str(pol.get("key_info") or state.get("question", ""))
        return [_call(tool.name, **args) for args in tool.look_calls(spans, question)]

    def _answer(
        self, run: RunContext, state: AgentState, step: int, pol: ChainOfShotState, messages: list
    ) -> Update:
        """One narrow question (a 0.5B model filling answer, evidence and confidence at once
        copies a number from the wrong place): only the answer, the option letter among those
        the evidence supports, or the moment; then the verification sets the confidence from
        what the evidence states. Unverified, it searches again while rounds remain; with no
        support at all it abstains, naming what it searched for."""
        question = str(state.get("question", ""))
        items = evidence_items(state.get("results") or [], bare_question(question))
        options = options_of(question, state.get("options"))
        when = asks_time(question)
        # times are shown only to a multiple-choice question about time (its options are times);
        # an open "when" question picks the moment by what it shows, and the answer is its span
        key = "label" if when and options else "text"
        listing = "\n".join(
            f"{i}. {it[key]}"  # type: ignore[literal-required]
            for i, it in enumerate(items, 1)
        )
        common = {
            "earlier": earlier_turns(state),
            "evidence": listing or "(nothing found)",
            "question": question_text(state),
        }
        asked = bare_question(question)  # options in the question are not what it asks
        choice: str | None = None
        if pol.get("blind"):  # only an option the video states in words beats "cannot see"
            stated = answering.stated_option(options or [], items, asked)
            if stated is None:
                return self._abstain(run, step, state, pol, messages, answering.CANNOT_SEE_TEXT)
            choice, answer, conf, picked = stated
        elif options:
            choice, answer, conf, picked = answering.choose(
                run, step, common, options, items, key, asked
            )
        elif when and items:
            referent = referred_answer(state, question)
            answer, conf, picked = answering.moment(run, step, common, items, asked, referent)
        else:
            answer, conf, picked = answering.open_answer(run, step, common, items, key, asked)
        spans = [items[i] for i in dict.fromkeys(picked) if 0 <= i < len(items)][:3]
        unclear = [] if (when and not options) else answering.unclear_words(answer, spans)
        if conf == 3 and unclear:  # stated, but only in words the recognizer was unsure of
            conf = 2
            heard = ", ".join(f"'{w}'" for w in unclear)
            run.bus.emit(
                "thought", step, text=f"The speech stating it was heard unclearly ({heard})."
            )
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
        if conf == 0:
            searched = "; ".join(f"'{q}'" for q in pol.get("tried", [])) or "nothing"
            text = f"{NOT_FOUND}: no evidence found states it (searched for {searched})."
            return self._abstain(run, step, state, pol, messages, text)
        args: dict[str, Any] = {
            "answer": answer or "not found",
            "evidence": [
                {"start_s": s["start_s"], "end_s": s["end_s"], "why": s["why"][:280]} for s in spans
            ],
            "confidence": CONFIDENCE[conf],
        }
        if choice:
            args["choice"] = choice
        return _finish(run, pol, messages, args)

    def _abstain(
        self,
        run: RunContext,
        step: int,
        state: AgentState,
        pol: ChainOfShotState,
        messages: list,
        text: str,
    ) -> Update:
        """Decline to answer, citing the moments the fused searches ranked first as where to
        look (marked as not stating the answer), at confidence 0."""
        question = bare_question(str(state.get("question", "")))
        items = candidates(state.get("results") or [], question)
        run.bus.emit("thought", step, text=text)
        pol["draft_answer"] = text
        args = answering.abstention(text, items, CONFIDENCE[0])
        return _finish(run, pol, messages, args)


def _finish(run: RunContext, pol: ChainOfShotState, messages: list, args: dict[str, Any]) -> Update:
    finish = run.tool_for("finish")
    assert finish is not None  # the Agent refuses a tool set without one
    pending = [_call(finish.name, **args)]
    messages.append(assistant_message(f"Answer: {args['answer']}", pending))
    pol["phase"] = "done"
    return {"messages": messages, "pending": pending, "policy": pol}


def follow_up_queries(state: AgentState, question: str) -> list[str]:
    """A follow-up in a chat thread searches with what it refers to: the previous question and
    its answer (the planner alone would search for the literal words "that code")."""
    history = state.get("history") or []
    if not history or not refers_back(question):
        return []
    last = history[-1]
    out = [bare_question(str(last.get("question", "")))]
    answer = " ".join(str(last.get("answer", "")).split())
    if (
        answer
        and len(answer) <= 80
        and not answer.lower().startswith(("no confident", "not found"))
    ):
        out.append(answer)
    return [q for q in out if q]


def referred_answer(state: AgentState, question: str) -> str:
    """The earlier answer a follow-up refers to ("when was *that* code said?"), or ""."""
    history = state.get("history") or []
    if not history or not refers_back(question):
        return ""
    answer = " ".join(str(history[-1].get("answer", "")).split())
    usable = answer and len(answer) <= 80
    return answer if usable and not answer.lower().startswith(("no confident", "not found")) else ""
