"""The LangGraph StateGraph: planner -> tools (in parallel when several are asked) -> planner, until
the finish tool or a budget ends the run, then ``finalize`` writes the answer.

The graph is compiled once per Agent (``build_graph``). Its state is plain data (checkpointable);
the model, tools, index and event bus of one question arrive as LangGraph's run-scoped context
(``context=RunContext(...)`` on ``invoke``, ``Runtime[RunContext]`` in the nodes). A policy
(vidseek.agent.policies) decides what the planner does on each step; this module only runs calls,
guards against broken or looping planners, keeps the budgets and records the trace.
"""

from __future__ import annotations

import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from vidseek.agent.answer import (
    Answer,
    EvidenceSpan,
    ToolCallRecord,
    normalise_choice,
    options_of,
)
from vidseek.agent.guard import WITHHELD, echoes_instructions
from vidseek.agent.messages import (
    assistant_message,
    call_signature,
    expand_frames,
    vet_calls,
    video_text_note,
)
from vidseek.agent.run import PLANNER_MAX_TOKENS, Policy, RunContext, capabilities
from vidseek.agent.state import AgentState, PendingCall, ToolOutcome, Turn
from vidseek.errors import ModelCallError
from vidseek.tools.base import ToolResult

log = logging.getLogger(__name__)

MAX_PARALLEL = 4

__all__ = [
    "PLANNER_MAX_TOKENS",
    "Policy",
    "RunContext",
    "answer_from_state",
    "assistant_message",
    "build_graph",
    "call_signature",
    "capabilities",
    "expand_frames",
    "vet_calls",
    "video_text_note",
]


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
    findings = [f.as_dict() for f in result.findings]
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
        findings=findings,
        frames=len(frames),
        wall_s=round(wall, 3),
    )
    outcome: ToolOutcome = {
        "step": step,
        "id": call["id"],
        "name": name,
        "role": run.role_of(name),
        "arguments": args,
        "text": result.text,
        "ok": not result.is_error,
        "findings": _jsonable(findings),
        "evidence": evidence,
        "frames": frames,
        "data": result.data if result.is_final else _jsonable(result.data),
    }
    if result.is_final:
        outcome["data"] = {**result.data, "final": True}
    return outcome


def _jsonable(data: Any) -> Any:
    try:
        return json.loads(json.dumps(data, default=str))
    except (TypeError, ValueError):
        return type(data)()


def _planner(policy: Policy) -> Any:
    def planner(state: AgentState, runtime: Runtime[RunContext]) -> dict[str, Any]:
        run = runtime.context
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

    return planner


def _tools(state: AgentState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    run = runtime.context
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


def _finalize(state: AgentState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    update: dict[str, Any] = {"pending": []}
    withheld = _withhold_echo(state)
    if withheld:
        update.update(withheld)
        state = cast(AgentState, {**state, **withheld})
        runtime.context.bus.emit(
            "notice", int(state.get("step") or 0), text="the answer repeated the instructions"
        )
    update["history"] = [*(state.get("history") or []), _turn(state)]
    return update


def _withhold_echo(state: AgentState) -> dict[str, Any]:
    """An answer (or best-effort draft) that repeats the planner's instructions is replaced:
    the system prompt is never echoed, whatever the video asked for."""
    question = str(state.get("question", ""))
    system = [
        str(m.get("content") or "")
        for m in state.get("messages") or []
        if m.get("role") == "system" and isinstance(m.get("content"), str)
    ]
    final = state.get("final")
    if final and echoes_instructions(str(final.get("answer", "")), question, system):
        return {"final": {**final, "answer": WITHHELD, "confidence": 0.0, "best_effort": True}}
    pol = dict(state.get("policy") or {})
    if not final and echoes_instructions(str(pol.get("draft_answer") or ""), question, system):
        return {"policy": {**pol, "draft_answer": WITHHELD}}
    return {}


def _after_planner(state: AgentState) -> str:
    if state.get("final") or state.get("stop_reason"):
        return "finalize"
    return "tools" if state.get("pending") else "planner"


def _after_tools(state: AgentState) -> str:
    return "finalize" if state.get("final") else "planner"


def build_graph(policy: Policy, checkpointer: Any = None) -> Any:
    """The compiled graph of one Agent; each ``invoke`` passes its run as ``context=``."""
    g = StateGraph(AgentState, context_schema=RunContext)
    g.add_node("planner", _planner(policy))
    g.add_node("tools", _tools)
    g.add_node("finalize", _finalize)
    g.add_edge(START, "planner")
    g.add_conditional_edges("planner", _after_planner, ["planner", "tools", "finalize"])
    g.add_conditional_edges("tools", _after_tools, ["planner", "finalize"])
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
    """The Answer of a finished run; without a finish call it is a best-effort answer built from
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
    """The first evidence span of each call that searched or looked (tools put their best
    findings first; the evidence spans are the findings' spans)."""
    out: list[EvidenceSpan] = []
    for r in state.get("results") or []:
        if not r.get("ok") or r.get("role") in ("overview", "finish"):
            continue
        for e in (r.get("evidence") or [])[:1]:
            out.append(EvidenceSpan(e["start_s"], e["end_s"], e.get("why", "") or r["name"]))
        if len(out) >= n:
            break
    return out
