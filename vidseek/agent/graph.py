"""The LangGraph StateGraph: planner -> tools (in parallel when several are asked) -> planner, until
``finish`` or a budget ends the run, then ``finalize`` writes the answer.

The graph's state is plain data (checkpointable); the model, tools, index and event bus live in a
``RunContext`` that the nodes close over. A policy (vidseek.agent.policies) decides what the planner
does on each step; this module only runs calls, guards against broken or looping planners, keeps
the budgets and records the trace.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from langgraph.graph import END, START, StateGraph

from vidseek.agent.answer import (
    Answer,
    EvidenceSpan,
    ToolCallRecord,
    Trace,
    normalise_choice,
    options_of,
)
from vidseek.agent.budgets import RunBudget
from vidseek.agent.events import EventBus
from vidseek.agent.state import AgentState, PendingCall, ToolOutcome, Turn
from vidseek.errors import ModelCallError
from vidseek.models.chat_base import ChatCapabilities, ChatModel, ChatResponse, Message, ToolCall
from vidseek.tools.base import Tool, ToolContext, ToolResult

if TYPE_CHECKING:
    from vidseek.config import Settings

log = logging.getLogger(__name__)

PLANNER_MAX_TOKENS = 700
MAX_REPEATS = 2  # the same call asked this many times more forces the planner to finish
MAX_PARALLEL = 4


class Policy(Protocol):
    name: str

    def plan(self, run: RunContext, state: AgentState) -> dict[str, Any]:
        """One planner step: a state update with ``messages`` and ``pending`` calls (or
        ``final``/``stop_reason``)."""
        ...


@dataclass
class RunContext:
    """Everything a run needs that is not data: handles, budgets, the event bus and the trace."""

    model: ChatModel
    tools: dict[str, Tool]
    tool_ctx: ToolContext
    budget: RunBudget
    bus: EventBus
    settings: Settings
    trace: Trace
    can_see: bool = False  # a vision model can look at frames (confirm on pixels)
    planner_sees_images: bool = False
    on_token: Callable[[str], None] | None = None

    def specs(self, names: Sequence[str] | None = None) -> list[dict[str, Any]]:
        chosen = (
            self.tools if names is None else {n: self.tools[n] for n in names if n in self.tools}
        )
        return [t.openai_spec() for t in chosen.values()]

    def call_model(
        self,
        messages: Sequence[Message],
        step: int,
        *,
        tools: Sequence[dict[str, Any]] | None = None,
        tool_choice: str | dict[str, Any] | None = None,
        response_schema: dict[str, Any] | None = None,
        max_tokens: int = PLANNER_MAX_TOKENS,
    ) -> ChatResponse:
        """One planner request with token accounting (raises ModelCallError after retries)."""
        kwargs: dict[str, Any] = {}
        if self.on_token is not None and _capabilities(self.model).streams:
            kwargs["on_token"] = self.on_token
        resp = self.model.complete(
            expand_frames(messages, self.planner_sees_images),
            tools=tools,
            tool_choice=tool_choice,
            response_schema=response_schema,
            max_tokens=max_tokens,
            temperature=self.settings.agent.temperature,
            **kwargs,
        )
        self.trace.prompt_tokens += resp.usage.prompt_tokens
        self.trace.completion_tokens += resp.usage.completion_tokens
        self.trace.cost_usd += resp.usage.cost_usd
        self.budget.spend_tokens(resp.usage.total_tokens)
        return resp


def _capabilities(model: Any) -> ChatCapabilities:
    """What the model declares it can do (a model that declares nothing gets no extras)."""
    caps = getattr(model, "capabilities", None)
    return caps if isinstance(caps, ChatCapabilities) else ChatCapabilities()


# --- helpers the policies share ----------------------------------------------------------------


def call_signature(name: str, arguments: dict[str, Any]) -> str:
    return name + json.dumps(arguments, sort_keys=True, default=str)


def assistant_message(content: str, calls: Sequence[PendingCall]) -> dict[str, Any]:
    msg: dict[str, Any] = {"role": "assistant", "content": content or ""}
    if calls:
        msg["tool_calls"] = [
            {
                "id": c["id"],
                "type": "function",
                "function": {"name": c["name"], "arguments": json.dumps(c.get("arguments") or {})},
            }
            for c in calls
        ]
    return msg


def vet_calls(
    run: RunContext, state: AgentState, calls: Sequence[ToolCall]
) -> tuple[list[PendingCall], dict[str, int], int]:
    """Turn the planner's calls into pending calls, marking the ones that must not run (unknown
    tool, broken JSON, a call already made with the same arguments) with an error for the planner.
    Returns (pending, updated seen-calls, number of repeats in this step)."""
    seen = dict(state.get("seen_calls") or {})
    pending: list[PendingCall] = []
    repeats = 0
    known = ", ".join(sorted(run.tools))
    for c in calls:
        call: PendingCall = {
            "id": c.id,
            "name": c.name,
            "arguments": dict(c.arguments),
            "error": None,
        }
        if c.name not in run.tools:
            call["error"] = f"there is no tool named '{c.name}'. Tools: {known}."
        elif c.parse_error:
            call["error"] = (
                f"{c.parse_error}; you wrote: {c.raw_arguments[:200]!r}. Write the arguments as "
                "one JSON object."
            )
        else:
            sig = call_signature(c.name, call["arguments"])
            if sig in seen and c.name != "finish":
                repeats += 1
                call["error"] = (
                    f"you already called {c.name} with exactly these arguments; its result is "
                    "above. Change the query or time range, try another tool, or call finish."
                )
            seen[sig] = seen.get(sig, 0) + 1
        pending.append(call)
    return pending, seen, repeats


def video_text_note() -> str:
    from vidseek.prompts import load_prompt

    return load_prompt("video_text_is_data")


def expand_frames(messages: Sequence[Message], with_images: bool) -> list[Message]:
    """Messages for the wire: frame references in follow-up user messages become image parts when
    the planner can see (JPEGs read now, never stored in the state), or a text note otherwise."""
    out: list[Message] = []
    for m in messages:
        frames = m.get("frames")
        if not frames:
            out.append(m)
            continue
        clean = {k: v for k, v in m.items() if k != "frames"}
        text = clean.get("content") if isinstance(clean.get("content"), str) else ""
        if not with_images:
            out.append(clean)
            continue
        parts: list[dict[str, Any]] = [{"type": "text", "text": text}]
        for f in frames:
            path = f.get("path")
            if not path:
                continue
            try:
                with open(path, "rb") as fh:
                    b64 = base64.b64encode(fh.read()).decode()
            except OSError as exc:
                log.warning("frame %s unreadable: %s", path, exc)
                continue
            parts.append({"type": "text", "text": f"frame at {float(f.get('time_s', 0)):.2f} s"})
            parts.append(
                {"type": "image_url", "image_url": {"url": f"data:image/jpeg;base64,{b64}"}}
            )
        out.append({**clean, "content": parts})
    return out


# --- nodes ---------------------------------------------------------------------------------------


def _run_call(run: RunContext, call: PendingCall, step: int) -> ToolOutcome:
    name, args = call["name"], call.get("arguments") or {}
    run.bus.emit("tool_start", step, id=call["id"], name=name, arguments=args)
    t0 = time.monotonic()
    if call.get("error"):
        result = ToolResult.error(str(call["error"]))
    else:
        result = run.tools[name].invoke(args, run.tool_ctx)
    wall = time.monotonic() - t0
    if result.tokens_used:
        run.budget.spend_tokens(result.tokens_used)
    evidence = [e.as_dict() for e in result.evidence]
    frames = [
        {"time_s": f.time_s, "path": f.path, "label": f.label}
        for f in result.frames
        if f.path is not None
    ]
    run.trace.tool_calls.append(
        ToolCallRecord(
            step, name, args, not result.is_error, round(wall, 3), evidence, result.frames_used
        )
    )
    run.trace.frames_looked += result.frames_used
    run.bus.emit(
        "tool_end",
        step,
        id=call["id"],
        name=name,
        arguments=args,
        ok=not result.is_error,
        text=result.text,
        evidence=evidence,
        frames=len(frames),
        wall_s=round(wall, 3),
    )
    outcome: ToolOutcome = {
        "step": step,
        "id": call["id"],
        "name": name,
        "arguments": args,
        "text": result.text,
        "ok": not result.is_error,
        "evidence": evidence,
        "frames": frames,
        "data": result.data if result.is_final else _jsonable(result.data),
    }
    if result.is_final:
        outcome["data"] = {**result.data, "final": True}
    return outcome


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    try:
        return json.loads(json.dumps(data, default=str))
    except (TypeError, ValueError):
        return {}


def build_graph(run: RunContext, policy: Policy, checkpointer: Any = None) -> Any:
    """The compiled graph for one agent (the run context is swapped per question)."""

    def planner(state: AgentState) -> dict[str, Any]:
        step = int(state.get("step") or 0)
        run.budget.steps_used = step
        reason = run.budget.exhausted()
        if reason:
            return {"stop_reason": reason}
        try:
            update = policy.plan(run, state)
        except ModelCallError as exc:
            run.bus.emit("error", step, message=str(exc))
            return {"stop_reason": "planner failed", "error": str(exc), "step": step + 1}
        update["step"] = step + 1
        run.budget.steps_used = step + 1
        run.trace.steps = step + 1
        return update

    def tools(state: AgentState) -> dict[str, Any]:
        step = int(state.get("step") or 0)
        pending = list(state.get("pending") or [])
        if len(pending) > 1:
            with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL, len(pending))) as pool:
                outcomes = list(pool.map(lambda c: _run_call(run, c, step), pending))
        else:
            outcomes = [_run_call(run, c, step) for c in pending]
        messages = list(state.get("messages") or [])
        results = list(state.get("results") or [])
        final = None
        frames: list[dict[str, Any]] = []
        for call, out in zip(pending, outcomes, strict=True):
            messages.append(
                {
                    "role": "tool",
                    "tool_call_id": call["id"],
                    "name": call["name"],
                    "content": out["text"],
                }
            )
            results.append(out)
            if (out.get("data") or {}).get("final"):
                final = out["data"]
            frames.extend(out["frames"])
        if frames:
            times = ", ".join(f"{f['time_s']:.2f}" for f in frames)
            messages.append(
                {
                    "role": "user",
                    "content": f"Frames from the tools above, at {times} s.",
                    "frames": frames,
                }
            )
        return {"messages": messages, "results": results, "pending": [], "final": final}

    def finalize(state: AgentState) -> dict[str, Any]:
        return {"history": [*(state.get("history") or []), _turn(state)], "pending": []}

    def after_planner(state: AgentState) -> str:
        if state.get("final") or state.get("stop_reason"):
            return "finalize"
        return "tools" if state.get("pending") else "planner"

    def after_tools(state: AgentState) -> str:
        return "finalize" if state.get("final") else "planner"

    g = StateGraph(AgentState)
    g.add_node("planner", planner)
    g.add_node("tools", tools)
    g.add_node("finalize", finalize)
    g.add_edge(START, "planner")
    g.add_conditional_edges("planner", after_planner, ["planner", "tools", "finalize"])
    g.add_conditional_edges("tools", after_tools, ["planner", "finalize"])
    g.add_edge("finalize", END)
    return g.compile(checkpointer=checkpointer)


# --- the answer -------------------------------------------------------------------------------------


def _turn(state: AgentState) -> Turn:
    ans = answer_from_state(state)
    return {
        "question": state.get("question", ""),
        "answer": ans.answer,
        "choice": ans.choice,
        "evidence": [{"start_s": e.start_s, "end_s": e.end_s, "why": e.why} for e in ans.evidence],
        "confidence": ans.confidence,
    }


def answer_from_state(state: AgentState) -> Answer:
    """The Answer of a finished run; without a ``finish`` it is a best-effort answer built from
    what the tools found, marked as such."""
    options = options_of(str(state.get("question", "")), state.get("options"))
    final = state.get("final")
    if final:
        ans = Answer(
            answer=str(final.get("answer", "")),
            choice=normalise_choice(final.get("choice"), str(final.get("answer", "")), options),
            evidence=[
                EvidenceSpan(e["start_s"], e["end_s"], e.get("why", ""))
                for e in final.get("evidence", [])
            ],
            confidence=float(final.get("confidence", 0.0)),
            best_effort=bool(final.get("best_effort", False)),
            question=state.get("question", ""),
        )
        if not ans.evidence:
            ans.evidence = _fallback_evidence(state)
        return ans
    reason = state.get("stop_reason") or "the planner did not finish"
    draft = str((state.get("policy") or {}).get("draft_answer") or "")
    evidence = _fallback_evidence(state)
    if not draft:
        draft = "No confident answer: " + reason + "."
    return Answer(
        answer=draft,
        choice=normalise_choice(None, draft, options),
        evidence=evidence,
        confidence=0.0,
        best_effort=True,
        error=state.get("error") or reason,
        question=state.get("question", ""),
    )


def _fallback_evidence(state: AgentState, n: int = 3) -> list[EvidenceSpan]:
    """The first evidence spans the tools returned (best hits come first in each result)."""
    out: list[EvidenceSpan] = []
    for r in state.get("results") or []:
        if not r.get("ok") or r.get("name") in ("video_overview", "finish"):
            continue
        for e in (r.get("evidence") or [])[:1]:
            out.append(EvidenceSpan(e["start_s"], e["end_s"], e.get("why", "") or r["name"]))
        if len(out) >= n:
            break
    return out
